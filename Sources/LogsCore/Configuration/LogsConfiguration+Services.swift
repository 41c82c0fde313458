import Foundation

extension LogsConfiguration {
    /// Settings of the Pusher client, from `TRAVIS_PUSHER_*` and `PUSHER_SECURE`.
    public struct Pusher: Sendable, Equatable {
        public var appID = ""
        public var key = ""
        public var secret = ""
        /// Whether events go to `private-job-<id>` channels instead of `job-<id>`.
        public var secure = false
        /// The host of Pusher's HTTP API.
        public var host = "api.pusherapp.com"
        /// The port of Pusher's HTTP API, by default 443 for `https` and 80 for `http`.
        public var port = 443
        /// `https` or `http`.
        public var scheme = "https"

        public init() {}
    }

    /// Settings of the S3 archive, from `TRAVIS_S3_*` and `TRAVIS_LOG_OPTIONS_S3_BUCKET`.
    public struct S3: Sendable, Equatable {
        public var accessKeyID = ""
        public var secretAccessKey = ""
        /// The ACL as the original configures it, such as `public_read`; empty for none.
        public var acl = ""
        /// The bucket name used when ``bucket`` is not set. The original names its bucket this way,
        /// after the host name it is served from.
        public var hostname = ""
        /// The bucket name, when set apart from ``hostname``.
        public var bucket: String?
        /// An absolute http or https URL of an S3-compatible server; when set, requests use path-style
        /// addressing (`<endpoint>/<bucket>/<key>`).
        public var endpoint: URL?
        /// The region used for signing requests.
        public var region = "us-east-1"

        public init() {}

        /// The bucket that contains the archives: ``bucket``, else ``hostname``.
        public var bucketName: String {
            bucket ?? hostname
        }

        /// The `x-amz-acl` header value, such as `public-read` for `public_read`; nil when no ACL is set.
        public var cannedACL: String? {
            acl.isEmpty ? nil : acl.replacingOccurrences(of: "_", with: "-")
        }

        /// Whether the bucket goes into the path instead of the host name, which is the case when an
        /// endpoint is set.
        public var usesPathStyle: Bool {
            endpoint != nil
        }
    }

    /// Settings of the RabbitMQ management API, from `TRAVIS_AMQP_*`, used to ensure the
    /// `logs-sharding` policy.
    ///
    /// When a RabbitMQ URL is set, ``host``, ``username``, ``password`` and ``vhost`` default to the
    /// URL's parts, as the original reads them from that URL. The policy is ensured only when both
    /// ``host`` and ``apiPort`` are known.
    public struct AMQP: Sendable, Equatable {
        public var host: String?
        /// The port of the management HTTP API, such as 15672.
        public var apiPort: Int?
        public var vhost = "/"
        public var username: String?
        public var password: String?
        /// The management API user, when it differs from ``username``.
        public var managementUser: String?
        /// The management API password, when it differs from ``password``.
        public var managementPassword: String?
        /// Whether the management API is reached over https.
        public var tls = false
        /// The `shards-per-node` value of the sharding policy.
        public var shardsPerNode = 2
        /// The priority of the sharding policy.
        public var shardsPriority = -8

        public init() {}

        /// Whether the sharding policy can be ensured.
        public var isManagementAPIConfigured: Bool {
            host != nil && apiPort != nil
        }
    }

    /// Settings of the distributed lock, from `TRAVIS_LOCK_*`.
    public struct Lock: Sendable, Equatable {
        /// How long a lock is held at most when its owner does not release it.
        public var ttl: Duration = .seconds(150)

        public init() {}
    }

    /// Settings of the Sidekiq-compatible job queue, from `TRAVIS_SIDEKIQ_*`.
    public struct Sidekiq: Sendable, Equatable {
        /// A prefix for every Redis key of the queue, followed by `:` when not empty.
        ///
        /// Empty by default. The original configures `sidekiq` here, but its Redis client never
        /// applies the namespace, so its jobs live under unprefixed keys such as `queue:log_parts`.
        /// An empty namespace keeps this port compatible with that deployment.
        public var namespace = ""
        /// The number of Redis connections per process.
        public var poolSize = 7

        public init() {}
    }
}
