import Foundation
import Testing

@testable import LogsCore

@Suite("LogsConfiguration")
struct LogsConfigurationTests {
    @Test("empty environment gives defaults")
    func defaults() throws {
        let config = try LogsConfiguration(environment: [:])

        #expect(config == LogsConfiguration.defaults)
        #expect(config.databaseURL == "postgres://localhost/travis_logs_development")
        #expect(config.redisURL == "redis://localhost:6379")
        #expect(config.redisSSL == false)
        #expect(config.rabbitmqURL == "amqp://localhost")
        #expect(config.isRabbitMQConfigured == false)
        #expect(config.authToken == nil)
        #expect(config.jwtRSAPublicKey == nil)
        #expect(config.port == 5555)
        #expect(config.bindAddress == "0.0.0.0")
        #expect(config.pgbouncerPreparedStatements == true)
        #expect(config.logLevel == .info)
        #expect(config.channelsExistenceCheck == true)
        #expect(config.channelsExistenceMetrics == false)
        #expect(config.lock.ttl == .seconds(150))
        #expect(config.sidekiq.namespace == "")
        #expect(config.sidekiq.poolSize == 7)
    }

    @Test("pipeline defaults")
    func logsDefaults() throws {
        let logs = try LogsConfiguration(environment: [:]).logs

        #expect(logs.archive == true)
        #expect(logs.purge == false)
        #expect(logs.aggregateCleanSkipEmpty == true)
        #expect(logs.archiveSpoofing.minAcceptedID == 0)
        #expect(logs.archiveSpoofing.minAcceptedJobID == 0)
        #expect(logs.cacheSizeBytes == 10_000_000)
        #expect(logs.drainAckTimeout == .seconds(300))
        #expect(logs.drainBatchSize == 100)
        #expect(logs.drainConsumerCount == 10)
        #expect(logs.drainExecutionInterval == .seconds(3))
        #expect(logs.drainLoopSleepInterval == .seconds(10))
        #expect(logs.drainTimeoutInterval == .seconds(3))
        #expect(logs.drainRabbitMQSharding == false)
        #expect(logs.drainPrefetch == 200)
        #expect(logs.intervals.aggregate == .seconds(60))
        #expect(logs.intervals.force == .seconds(10_800))
        #expect(logs.intervals.purge == .seconds(6 * 3600))
        #expect(logs.intervals.regular == .seconds(10))
        #expect(logs.intervals.timingInfo == .seconds(60))
        #expect(logs.intervals.sweeper == .seconds(600))
        #expect(logs.maintenanceExpiry == .seconds(300))
        #expect(logs.maintenanceInitialSleep == .seconds(30))
        #expect(logs.perAggregateLimit == 500)
        #expect(logs.sidekiqErrorRetryPause == .seconds(3))
        #expect(logs.archiveRetries == 5)
    }

    @Test("Pusher, S3 and AMQP defaults")
    func serviceDefaults() throws {
        let config = try LogsConfiguration(environment: [:])

        #expect(config.pusher.appID == "")
        #expect(config.pusher.key == "")
        #expect(config.pusher.secret == "")
        #expect(config.pusher.secure == false)
        #expect(config.pusher.host == "api.pusherapp.com")
        #expect(config.pusher.port == 443)
        #expect(config.pusher.scheme == "https")
        #expect(config.s3.acl == "")
        #expect(config.s3.cannedACL == nil)
        #expect(config.s3.hostname == "")
        #expect(config.s3.bucket == nil)
        #expect(config.s3.bucketName == "")
        #expect(config.s3.endpoint == nil)
        #expect(config.s3.usesPathStyle == false)
        #expect(config.s3.region == "us-east-1")
        #expect(config.amqp.host == nil)
        #expect(config.amqp.apiPort == nil)
        #expect(config.amqp.vhost == "/")
        #expect(config.amqp.username == nil)
        #expect(config.amqp.tls == false)
        #expect(config.amqp.shardsPerNode == 2)
        #expect(config.amqp.shardsPriority == -8)
        #expect(config.amqp.isManagementAPIConfigured == false)
    }

    @Test("DATABASE_URL wins over LOGS_DATABASE_URL")
    func databaseAliases() throws {
        let both = try LogsConfiguration(environment: [
            "DATABASE_URL": "postgres://db/main", "LOGS_DATABASE_URL": "postgres://db/logs",
        ])
        let aliasOnly = try LogsConfiguration(environment: ["LOGS_DATABASE_URL": "postgres://db/logs"])
        let emptyMain = try LogsConfiguration(environment: [
            "DATABASE_URL": "", "LOGS_DATABASE_URL": "postgres://db/logs",
        ])

        #expect(both.databaseURL == "postgres://db/main")
        #expect(aliasOnly.databaseURL == "postgres://db/logs")
        #expect(emptyMain.databaseURL == "postgres://db/logs")
    }

    @Test("RabbitMQ URL alias order")
    func rabbitMQAliases() throws {
        let all = [
            "RABBITMQ_URL": "amqp://one", "TRAVIS_RABBITMQ_URL": "amqp://two", "CLOUDAMQP_URL": "amqp://three",
        ]
        var withoutFirst = all
        withoutFirst["RABBITMQ_URL"] = nil
        let onlyLast = ["CLOUDAMQP_URL": "amqp://three"]

        #expect(try LogsConfiguration(environment: all).rabbitmqURL == "amqp://one")
        #expect(try LogsConfiguration(environment: withoutFirst).rabbitmqURL == "amqp://two")
        #expect(try LogsConfiguration(environment: onlyLast).rabbitmqURL == "amqp://three")
        #expect(try LogsConfiguration(environment: onlyLast).isRabbitMQConfigured)
        #expect(try !LogsConfiguration(environment: ["RABBITMQ_URL": ""]).isRabbitMQConfigured)
    }

    @Test("S3 bucket alias order")
    func bucketAliases() throws {
        let both = try LogsConfiguration(environment: [
            "TRAVIS_LOG_OPTIONS_S3_BUCKET": "options-bucket", "TRAVIS_S3_BUCKET": "s3-bucket",
            "TRAVIS_S3_HOSTNAME": "archive.travis-ci.org",
        ])
        let second = try LogsConfiguration(environment: [
            "TRAVIS_S3_BUCKET": "s3-bucket", "TRAVIS_S3_HOSTNAME": "archive.travis-ci.org",
        ])
        let hostnameOnly = try LogsConfiguration(environment: ["TRAVIS_S3_HOSTNAME": "archive.travis-ci.org"])

        #expect(both.s3.bucketName == "options-bucket")
        #expect(second.s3.bucketName == "s3-bucket")
        #expect(hostnameOnly.s3.bucket == nil)
        #expect(hostnameOnly.s3.bucketName == "archive.travis-ci.org")
    }

    @Test("settings read from variables")
    func overrides() throws {
        let config = try LogsConfiguration(environment: [
            "REDIS_URL": "rediss://cache:6380/2",
            "REDIS_SSL": "true",
            "PORT": " 8080 ",
            "BIND_ADDRESS": " 127.0.0.1 ",
            "PGBOUNCER_PREPARED_STATEMENTS": "false",
            "TRAVIS_LOG_LEVEL": "WARN",
            "TRAVIS_CHANNELS_EXISTENCE_CHECK": "no",
            "TRAVIS_CHANNELS_EXISTENCE_METRICS": "1",
            "TRAVIS_LOGS_ARCHIVE": "0",
            "TRAVIS_LOGS_PURGE": "yes",
            "TRAVIS_LOGS_ARCHIVE_SPOOFING_MIN_ACCEPTED_JOB_ID": "123456",
            "TRAVIS_LOGS_DRAIN_BATCH_SIZE": "250",
            "TRAVIS_LOGS_DRAIN_RABBITMQ_SHARDING": "TRUE",
            "TRAVIS_LOGS_DRAIN_PREFETCH": "50",
            "TRAVIS_LOGS_INTERVALS_REGULAR": "2.5",
            "TRAVIS_LOGS_INTERVALS_PURGE": "0.5",
            "TRAVIS_LOGS_INTERVALS_SWEEPER": "0",
            "TRAVIS_LOGS_ARCHIVE_RETRIES": "0",
            "TRAVIS_LOCK_TTL": "0.001",
            "TRAVIS_SIDEKIQ_NAMESPACE": "sidekiq",
            "TRAVIS_SIDEKIQ_POOL_SIZE": "3",
        ])

        #expect(config.redisURL == "rediss://cache:6380/2")
        #expect(config.redisSSL == true)
        #expect(config.port == 8080)
        #expect(config.bindAddress == "127.0.0.1")
        #expect(config.pgbouncerPreparedStatements == false)
        #expect(config.logLevel == .warning)
        #expect(config.channelsExistenceCheck == false)
        #expect(config.channelsExistenceMetrics == true)
        #expect(config.logs.archive == false)
        #expect(config.logs.purge == true)
        #expect(config.logs.archiveSpoofing.minAcceptedJobID == 123_456)
        #expect(config.logs.drainBatchSize == 250)
        #expect(config.logs.drainRabbitMQSharding == true)
        #expect(config.logs.drainPrefetch == 50)
        #expect(config.logs.intervals.regular == .milliseconds(2500))
        #expect(config.logs.intervals.purge == .seconds(1800))
        #expect(config.logs.intervals.sweeper == .zero)
        #expect(config.logs.archiveRetries == 0)
        #expect(config.lock.ttl == .milliseconds(1))
        #expect(config.sidekiq.namespace == "sidekiq")
        #expect(config.sidekiq.poolSize == 3)
    }

    @Test("REDIS_SSL only for exact true")
    func redisSSL() throws {
        #expect(try LogsConfiguration(environment: ["REDIS_SSL": "true"]).redisSSL)
        #expect(try !LogsConfiguration(environment: ["REDIS_SSL": "yes"]).redisSSL)
        #expect(try !LogsConfiguration(environment: ["REDIS_SSL": "TRUE"]).redisSSL)
    }

    @Test("token trimming and PEM line breaks")
    func secretsParsing() throws {
        let config = try LogsConfiguration(environment: [
            "AUTH_TOKEN": " abc123\n",
            "JWT_RSA_PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----\\nMIIB\\n-----END PUBLIC KEY-----\\n",
        ])
        let empty = try LogsConfiguration(environment: ["AUTH_TOKEN": "  ", "JWT_RSA_PUBLIC_KEY": ""])

        #expect(config.authToken == "abc123")
        #expect(config.jwtRSAPublicKey == "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----")
        #expect(empty.authToken == nil)
        #expect(empty.jwtRSAPublicKey == nil)
    }

    @Test("Pusher secure channel switch")
    func pusherSecure() throws {
        #expect(try LogsConfiguration(environment: ["PUSHER_SECURE": "false"]).pusher.secure)
        #expect(try LogsConfiguration(environment: ["PUSHER_SECURE": ""]).pusher.secure)
        #expect(try LogsConfiguration(environment: ["TRAVIS_PUSHER_SECURE": "true"]).pusher.secure)
        #expect(try !LogsConfiguration(environment: ["TRAVIS_PUSHER_SECURE": "false"]).pusher.secure)
    }

    @Test("Pusher port follows scheme")
    func pusherEndpoint() throws {
        let http = try LogsConfiguration(environment: [
            "TRAVIS_PUSHER_SCHEME": "HTTP", "TRAVIS_PUSHER_HOST": "127.0.0.1",
        ])
        let explicit = try LogsConfiguration(environment: [
            "TRAVIS_PUSHER_SCHEME": "http", "TRAVIS_PUSHER_PORT": "4567",
        ])

        #expect(http.pusher.scheme == "http")
        #expect(http.pusher.host == "127.0.0.1")
        #expect(http.pusher.port == 80)
        #expect(explicit.pusher.port == 4567)
    }

    @Test("S3 ACL, endpoint and region")
    func s3Settings() throws {
        let config = try LogsConfiguration(environment: [
            "TRAVIS_S3_ACL": "public_read",
            "TRAVIS_S3_ENDPOINT": "http://127.0.0.1:8333",
            "TRAVIS_S3_REGION": "eu-west-1",
            "TRAVIS_S3_ACCESS_KEY_ID": "AKIA123",
            "TRAVIS_S3_SECRET_ACCESS_KEY": "s3cr3t",
        ])

        #expect(config.s3.cannedACL == "public-read")
        #expect(config.s3.endpoint == URL(string: "http://127.0.0.1:8333"))
        #expect(config.s3.usesPathStyle)
        #expect(config.s3.region == "eu-west-1")
        #expect(config.s3.accessKeyID == "AKIA123")
        #expect(config.s3.secretAccessKey == "s3cr3t")
        #expect(
            try LogsConfiguration(environment: ["TRAVIS_S3_ACL": "bucket_owner_full_control"]).s3.cannedACL
                == "bucket-owner-full-control")
    }

    @Test("AMQP settings from RabbitMQ URL")
    func amqpFromURL() throws {
        let fromURL = try LogsConfiguration(environment: [
            "RABBITMQ_URL": "amqps://user:p%40ss@rabbit.example:5671/travis%2Flogs",
            "TRAVIS_AMQP_API_PORT": "15672",
        ])
        let explicit = try LogsConfiguration(environment: [
            "RABBITMQ_URL": "amqp://user:pass@rabbit.example",
            "TRAVIS_AMQP_HOST": "management.example",
            "TRAVIS_AMQP_VHOST": "logs",
            "TRAVIS_AMQP_USERNAME": "other",
            "TRAVIS_AMQP_MANAGEMENT_USER": "admin",
            "TRAVIS_AMQP_MANAGEMENT_PASS": "admin-pass",
            "TRAVIS_AMQP_TLS": "true",
            "TRAVIS_AMQP_SHARDS_PER_NODE": "4",
            "TRAVIS_AMQP_SHARDS_PRIORITY": "-10",
        ])

        #expect(fromURL.amqp.host == "rabbit.example")
        #expect(fromURL.amqp.apiPort == 15672)
        #expect(fromURL.amqp.username == "user")
        #expect(fromURL.amqp.password == "p@ss")
        #expect(fromURL.amqp.vhost == "travis/logs")
        #expect(fromURL.amqp.isManagementAPIConfigured)
        #expect(explicit.amqp.host == "management.example")
        #expect(explicit.amqp.vhost == "logs")
        #expect(explicit.amqp.username == "other")
        #expect(explicit.amqp.password == "pass")
        #expect(explicit.amqp.managementUser == "admin")
        #expect(explicit.amqp.managementPassword == "admin-pass")
        #expect(explicit.amqp.tls)
        #expect(explicit.amqp.shardsPerNode == 4)
        #expect(explicit.amqp.shardsPriority == -10)
        #expect(explicit.amqp.isManagementAPIConfigured == false)
        #expect(try LogsConfiguration(environment: ["RABBITMQ_URL": "amqp://rabbit"]).amqp.vhost == "/")
    }

    @Test(
        "invalid value names variable",
        arguments: [
            ("TRAVIS_LOGS_DRAIN_BATCH_SIZE", "abc", "expected a positive integer"),
            ("TRAVIS_LOGS_DRAIN_BATCH_SIZE", "0", "expected a positive integer"),
            ("TRAVIS_LOGS_DRAIN_BATCH_SIZE", "1.5", "expected a positive integer"),
            ("TRAVIS_LOGS_DRAIN_CONSUMER_COUNT", "-1", "expected a positive integer"),
            ("TRAVIS_LOGS_PER_AGGREGATE_LIMIT", "0", "expected a positive integer"),
            ("TRAVIS_SIDEKIQ_POOL_SIZE", "0", "expected a positive integer"),
            ("TRAVIS_AMQP_SHARDS_PER_NODE", "0", "expected a positive integer"),
            ("TRAVIS_LOGS_CACHE_SIZE_BYTES", "-5", "expected a non-negative integer"),
            ("TRAVIS_LOGS_ARCHIVE_RETRIES", "many", "expected a non-negative integer"),
            ("TRAVIS_LOGS_ARCHIVE_SPOOFING_MIN_ACCEPTED_ID", "1e6", "expected a non-negative integer"),
            ("TRAVIS_AMQP_SHARDS_PRIORITY", "high", "expected an integer"),
            ("PORT", "0", "expected an integer from 1 to 65535"),
            ("PORT", "65536", "expected an integer from 1 to 65535"),
            ("PORT", "http", "expected an integer from 1 to 65535"),
            ("TRAVIS_PUSHER_PORT", "70000", "expected an integer from 1 to 65535"),
            ("TRAVIS_AMQP_API_PORT", "-1", "expected an integer from 1 to 65535"),
            ("TRAVIS_LOGS_DRAIN_PREFETCH", "0", "expected an integer from 1 to 65535"),
            (
                "TRAVIS_LOGS_INTERVALS_REGULAR", "-1",
                "expected a non-negative number of seconds, such as 10 or 2.5"
            ),
            (
                "TRAVIS_LOGS_INTERVALS_REGULAR", "10s",
                "expected a non-negative number of seconds, such as 10 or 2.5"
            ),
            (
                "TRAVIS_LOGS_DRAIN_ACK_TIMEOUT", ".5",
                "expected a non-negative number of seconds, such as 10 or 2.5"
            ),
            (
                "TRAVIS_LOGS_MAINTENANCE_EXPIRY", "5.",
                "expected a non-negative number of seconds, such as 10 or 2.5"
            ),
            (
                "TRAVIS_LOGS_INTERVALS_PURGE", "-6",
                "expected a non-negative number of hours, such as 10 or 2.5"
            ),
            ("TRAVIS_LOGS_INTERVALS_FORCE", "1000000001", "expected at most 1000000000 seconds"),
            ("TRAVIS_LOGS_INTERVALS_PURGE", "277778", "expected at most 277777 hours"),
            ("TRAVIS_LOCK_TTL", "0", "expected a positive number of seconds, such as 10 or 2.5"),
            ("TRAVIS_LOGS_ARCHIVE", "maybe", "expected true or false"),
            ("TRAVIS_LOGS_PURGE", "on", "expected true or false"),
            ("PGBOUNCER_PREPARED_STATEMENTS", "2", "expected true or false"),
            ("TRAVIS_CHANNELS_EXISTENCE_CHECK", "enabled", "expected true or false"),
            ("TRAVIS_PUSHER_SECURE", "sure", "expected true or false"),
            ("TRAVIS_AMQP_TLS", "tls", "expected true or false"),
            (
                "TRAVIS_LOG_LEVEL", "verbose",
                "expected one of trace, debug, info, notice, warning, error, critical"
            ),
            ("TRAVIS_PUSHER_SCHEME", "ws", "expected https or http"),
            (
                "TRAVIS_S3_ENDPOINT", "127.0.0.1:8333",
                "expected an absolute http or https URL, such as http://127.0.0.1:8333"
            ),
            (
                "TRAVIS_S3_ENDPOINT", "ftp://files.example",
                "expected an absolute http or https URL, such as http://127.0.0.1:8333"
            ),
            (
                "TRAVIS_S3_ENDPOINT", "http://",
                "expected an absolute http or https URL, such as http://127.0.0.1:8333"
            ),
        ]
    )
    func invalidValue(variable: String, value: String, reason: String) throws {
        let error = try #require(throws: ConfigurationError.self) {
            try LogsConfiguration(environment: [variable: value])
        }

        #expect(error.variable == variable)
        #expect(error.value == value)
        #expect(error.reason == reason)
        #expect(error.description == "invalid \(variable) \"\(value)\": \(reason)")
    }

    @Test("error escapes quotes and newlines")
    func errorDescriptionEscaping() throws {
        let error = try #require(throws: ConfigurationError.self) {
            try LogsConfiguration(environment: ["PORT": "80\"\n"])
        }

        #expect(error.description == #"invalid PORT "80\"\n": expected an integer from 1 to 65535"#)
    }

    @Test("errors hide secrets")
    func errorMasking() throws {
        let secret = ConfigurationError(variable: "AUTH_TOKEN", rawValue: "tok-hunter2", reason: "expected a token")
        let urlError = try #require(throws: ConfigurationError.self) {
            try LogsConfiguration(environment: ["TRAVIS_S3_ENDPOINT": "ftp://user:hunter2@files.example"])
        }

        #expect(secret.value == nil)
        #expect(secret.description == "invalid AUTH_TOKEN: expected a token")
        #expect(!String(reflecting: secret).contains("hunter2"))
        #expect(urlError.value == "ftp://user:[secure]@files.example")
        #expect(!urlError.description.contains("hunter2"))
        #expect(!String(reflecting: urlError).contains("hunter2"))
    }

    @Test("secret variable names")
    func secretNames() {
        let secrets = [
            "AUTH_TOKEN", "TRAVIS_PUSHER_SECRET", "TRAVIS_PUSHER_KEY", "TRAVIS_S3_ACCESS_KEY_ID",
            "TRAVIS_S3_SECRET_ACCESS_KEY", "TRAVIS_AMQP_PASSWORD", "TRAVIS_AMQP_MANAGEMENT_PASS", "JWT_RSA_PUBLIC_KEY",
        ]
        let plain = ["DATABASE_URL", "PORT", "TRAVIS_AMQP_USERNAME", "TRAVIS_SIDEKIQ_NAMESPACE", "TRAVIS_S3_REGION"]

        for name in secrets {
            #expect(LogsConfiguration.isSecret(variable: name), "\(name) should be secret")
        }
        for name in plain {
            #expect(!LogsConfiguration.isSecret(variable: name), "\(name) should not be secret")
        }
    }

    @Test(
        "passwords in URLs masked",
        arguments: [
            ("postgres://travis:hunter2@db:5432/logs", "postgres://travis:[secure]@db:5432/logs"),
            ("amqps://user:p@ss@rabbit/vhost", "amqps://user:[secure]@rabbit/vhost"),
            ("redis://:hunter2@cache:6379/0", "redis://:[secure]@cache:6379/0"),
            ("postgres://travis@db/logs", "postgres://travis@db/logs"),
            (
                "postgres://db/logs?user=a&password=hunter2&sslmode=require",
                "postgres://db/logs?user=a&password=[secure]&sslmode=require"
            ),
            ("host=db password=hunter2 dbname=logs", "host=db password=[secure] dbname=logs"),
            ("host=db PASSWORD='hunter 2' dbname=logs", "host=db PASSWORD=[secure] dbname=logs"),
            ("http://127.0.0.1:8333", "http://127.0.0.1:8333"),
        ]
    )
    func passwordMasking(value: String, expected: String) {
        #expect(LogsConfiguration.maskingPasswords(in: value) == expected)
    }

    @Test("effective settings hide secrets")
    func effectiveSettingsMasking() throws {
        let config = try LogsConfiguration(environment: [
            "DATABASE_URL": "postgres://travis:db-hunter2@db/logs",
            "RABBITMQ_URL": "amqp://travis:mq-hunter2@rabbit/logs",
            "REDIS_URL": "redis://:redis-hunter2@cache:6379",
            "AUTH_TOKEN": "token-hunter2",
            "JWT_RSA_PUBLIC_KEY": "pem-hunter2",
            "TRAVIS_PUSHER_SECRET": "pusher-hunter2",
            "TRAVIS_PUSHER_KEY": "pusherkey-hunter2",
            "TRAVIS_S3_ACCESS_KEY_ID": "access-hunter2",
            "TRAVIS_S3_SECRET_ACCESS_KEY": "s3-hunter2",
            "TRAVIS_AMQP_MANAGEMENT_PASS": "admin-hunter2",
            "TRAVIS_LOGS_DRAIN_BATCH_SIZE": "42",
        ])

        let settings = config.effectiveSettings()
        let values = Dictionary(uniqueKeysWithValues: settings.map { ($0.name, $0.value) })

        #expect(settings.map(\.name) == LogsConfiguration.variables.map(\.name))
        #expect(settings.allSatisfy { !$0.value.contains("hunter2") })
        #expect(values["DATABASE_URL"] == "postgres://travis:[secure]@db/logs")
        #expect(values["RABBITMQ_URL"] == "amqp://travis:[secure]@rabbit/logs")
        #expect(values["REDIS_URL"] == "redis://:[secure]@cache:6379")
        #expect(values["AUTH_TOKEN"] == "[secure]")
        #expect(values["TRAVIS_S3_SECRET_ACCESS_KEY"] == "[secure]")
        #expect(values["TRAVIS_AMQP_PASSWORD"] == "[secure]")
        #expect(values["TRAVIS_AMQP_USERNAME"] == "travis")
        #expect(values["TRAVIS_LOGS_DRAIN_BATCH_SIZE"] == "42")
        #expect(values["TRAVIS_PUSHER_SECRET"] == "[secure]")
    }

    @Test("effective settings formatting")
    func effectiveSettingsFormatting() throws {
        let config = try LogsConfiguration(environment: [
            "TRAVIS_LOGS_INTERVALS_REGULAR": "2.5", "TRAVIS_LOGS_INTERVALS_PURGE": "12",
        ])
        let values = Dictionary(uniqueKeysWithValues: config.effectiveSettings().map { ($0.name, $0.value) })

        #expect(values["AUTH_TOKEN"] == "")
        #expect(values["TRAVIS_LOGS_INTERVALS_REGULAR"] == "2.5")
        #expect(values["TRAVIS_LOGS_INTERVALS_PURGE"] == "12")
        #expect(values["TRAVIS_LOGS_INTERVALS_FORCE"] == "10800")
        #expect(values["TRAVIS_LOG_LEVEL"] == "info")
        #expect(values["TRAVIS_S3_ENDPOINT"] == "")
    }

    @Test("variable list defaults")
    func variableList() {
        let variables = LogsConfiguration.variables
        let names = variables.flatMap { [$0.name] + $0.aliases }
        let defaults = Dictionary(uniqueKeysWithValues: variables.map { ($0.name, $0.defaultValue) })

        #expect(Set(names).count == names.count)
        #expect(variables.allSatisfy { !$0.summary.isEmpty })
        #expect(defaults["PORT"] == "5555")
        #expect(defaults["TRAVIS_LOGS_INTERVALS_REGULAR"] == "10")
        #expect(defaults["TRAVIS_LOGS_INTERVALS_PURGE"] == "6")
        #expect(defaults["TRAVIS_LOGS_DRAIN_ACK_TIMEOUT"] == "300")
        #expect(defaults["TRAVIS_LOCK_TTL"] == "150")
        #expect(defaults["PUSHER_SECURE"] == "false")
        #expect(defaults["TRAVIS_PUSHER_PORT"] == "443")
        #expect(defaults["DATABASE_URL"] == "postgres://localhost/travis_logs_development")
        #expect(variables.first { $0.name == "RABBITMQ_URL" }?.aliases == ["TRAVIS_RABBITMQ_URL", "CLOUDAMQP_URL"])
        #expect(variables.first { $0.name == "AUTH_TOKEN" }?.isSecret == true)
    }

    @Test("variable list matches reader")
    func variableListMatchesReader() throws {
        var reader = LogsConfiguration.EnvironmentReader(environment: [:])
        _ = try LogsConfiguration(reader: &reader)
        let listed = LogsConfiguration.variables.flatMap { [$0.name] + $0.aliases }

        #expect(Set(reader.namesRead) == Set(listed))
    }
}
