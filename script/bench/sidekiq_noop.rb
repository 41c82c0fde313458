# A no-op Sidekiq job for script/bench/redis-queue. Loaded by `sidekiq -r`, it counts the jobs it
# runs and, after BENCH_JOBS of them, writes "<first start> <last end>" in seconds since 1970 to
# the file named by BENCH_OUTPUT, so process boot time is not counted.
require 'sidekiq'

Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)

class BenchmarkNoop
  include Sidekiq::Worker
  sidekiq_options queue: 'bench', retry: false

  TOTAL = Integer(ENV.fetch('BENCH_JOBS'))
  LOCK = Mutex.new
  @count = 0
  @first = nil

  class << self
    attr_accessor :count, :first
  end

  def perform
    LOCK.synchronize do
      BenchmarkNoop.first ||= Time.now.to_f
      BenchmarkNoop.count += 1
      if BenchmarkNoop.count == TOTAL
        File.write(ENV.fetch('BENCH_OUTPUT'), "#{BenchmarkNoop.first} #{Time.now.to_f}\n")
      end
    end
  end
end
