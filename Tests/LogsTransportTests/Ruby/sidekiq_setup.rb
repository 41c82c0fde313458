# Loads Debian's Sidekiq 6.4 and points its client and server at REDIS_URL.
require 'json'
require 'sidekiq'
require 'sidekiq/api'

# redis-rb 4.8 warns about Redis 5 changes on every SADD; the tests read stdout only, but the
# warnings would bury real errors on stderr.
Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)

redis_settings = { url: ENV.fetch('REDIS_URL') }
Sidekiq.configure_client { |config| config.redis = redis_settings }
Sidekiq.configure_server { |config| config.redis = redis_settings }
