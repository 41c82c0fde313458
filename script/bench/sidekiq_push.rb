# Pushes BENCH_JOBS no-op jobs with Sidekiq::Client.push_bulk in batches of 1,000, as the Swift
# benchmark does, and prints the seconds it took.
require 'sidekiq'

Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)

total = Integer(ENV.fetch('BENCH_JOBS'))
started = Time.now.to_f
(0...total).each_slice(1000) do |slice|
  Sidekiq::Client.push_bulk('class' => 'BenchmarkNoop', 'queue' => 'bench', 'retry' => false,
                            'args' => slice.map { [] })
end
puts Time.now.to_f - started
