# A stand-in for the original's archive worker, loaded by `sidekiq -r`: it appends
# "<jid> <log id>" to the file named by SIDEKIQ_TEST_OUTPUT instead of archiving.
require_relative 'sidekiq_setup'

module Travis
  module Logs
    module Sidekiq
      class Archive
        include ::Sidekiq::Worker
        sidekiq_options queue: 'archive', retry: 3

        def perform(log_id)
          File.open(ENV.fetch('SIDEKIQ_TEST_OUTPUT'), 'a') { |file| file.puts("#{jid} #{log_id}") }
        end
      end
    end
  end
end
