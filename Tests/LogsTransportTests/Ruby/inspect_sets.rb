# Prints what Sidekiq's API reads from Redis, as JSON: every queue's jobs, and the schedule,
# retry and dead sets. With the argument `retry-all`, first moves every retry job to its queue
# through the API, as the web UI's "Retry All" button does.
require_relative 'sidekiq_setup'

Sidekiq::RetrySet.new.retry_all if ARGV.first == 'retry-all'

def entry(record)
  {
    'jid' => record.jid, 'klass' => record.klass, 'args' => record.args, 'queue' => record.queue,
    'enqueued_at' => record.enqueued_at&.to_f, 'created_at' => record.created_at&.to_f
  }
end

def sorted_entry(record)
  entry(record).merge(
    'at' => record.at.to_f, 'retry_count' => record['retry_count'],
    'error_message' => record['error_message'], 'error_class' => record['error_class'],
    'failed_at' => record['failed_at']
  )
end

queues = Sidekiq::Queue.all.to_h do |queue|
  [queue.name, { 'size' => queue.size, 'latency' => queue.latency, 'jobs' => queue.map { |job| entry(job) } }]
end
puts JSON.generate(
  'queues' => queues,
  'scheduled' => Sidekiq::ScheduledSet.new.map { |job| sorted_entry(job) },
  'retries' => Sidekiq::RetrySet.new.map { |job| sorted_entry(job) },
  'dead' => Sidekiq::DeadSet.new.map { |job| sorted_entry(job) }
)
