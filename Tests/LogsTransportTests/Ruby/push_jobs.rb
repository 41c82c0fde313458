# Pushes jobs the way the original Ruby service does, with Sidekiq::Client.push: one log_parts
# job now and one already due in the schedule set. Prints their jids as JSON.
require_relative 'sidekiq_setup'

def log_parts_job(job_id, text, number)
  part = { 'id' => job_id, 'log' => text, 'number' => number, 'final' => false }
  { 'class' => 'Travis::Logs::Sidekiq::LogParts', 'queue' => 'log_parts', 'retry' => 3, 'args' => [[part]] }
end

now_jid = Sidekiq::Client.push(log_parts_job(41, "hello from ruby\n", 1))
scheduled_jid = Sidekiq::Client.push(log_parts_job(41, "scheduled from ruby\n", 2).merge('at' => Time.now.to_f - 1))
puts JSON.generate('now' => now_jid, 'scheduled' => scheduled_jid)
