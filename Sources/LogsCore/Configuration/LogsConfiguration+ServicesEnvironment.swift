import Foundation

extension LogsConfiguration.Pusher {
    init(reader: inout LogsConfiguration.EnvironmentReader) throws {
        self.init()
        appID = reader.string("TRAVIS_PUSHER_APP_ID", default: appID)
        key = reader.string("TRAVIS_PUSHER_KEY", default: key)
        secret = reader.string("TRAVIS_PUSHER_SECRET", default: secret)
        // The original turns this on when PUSHER_SECURE is present with any value, even `false`.
        let isPusherSecurePresent = reader.isPresent("PUSHER_SECURE")
        secure = try isPusherSecurePresent || reader.bool("TRAVIS_PUSHER_SECURE", default: false)
        host = reader.string("TRAVIS_PUSHER_HOST", default: host)
        if let value = reader.firstValue("TRAVIS_PUSHER_SCHEME")?.value {
            let normalized = value.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            guard normalized == "https" || normalized == "http" else {
                let variable = "TRAVIS_PUSHER_SCHEME"
                throw ConfigurationError(variable: variable, rawValue: value, reason: "expected https or http")
            }
            scheme = normalized
        }
        port = try reader.integer("TRAVIS_PUSHER_PORT", default: scheme == "https" ? 443 : 80, in: 1...65535)
    }
}

extension LogsConfiguration.S3 {
    init(reader: inout LogsConfiguration.EnvironmentReader) throws {
        self.init()
        accessKeyID = reader.string("TRAVIS_S3_ACCESS_KEY_ID", default: accessKeyID)
        secretAccessKey = reader.string("TRAVIS_S3_SECRET_ACCESS_KEY", default: secretAccessKey)
        acl = reader.string("TRAVIS_S3_ACL", default: acl)
        hostname = reader.string("TRAVIS_S3_HOSTNAME", default: hostname)
        bucket = reader.firstValue("TRAVIS_LOG_OPTIONS_S3_BUCKET", "TRAVIS_S3_BUCKET")?.value
        endpoint = try reader.httpURL("TRAVIS_S3_ENDPOINT")
        region = reader.string("TRAVIS_S3_REGION", default: region)
    }
}

extension LogsConfiguration.AMQP {
    /// Reads the `TRAVIS_AMQP_*` variables, taking host, credentials and vhost from `rabbitmqURL`
    /// where a variable is unset.
    init(reader: inout LogsConfiguration.EnvironmentReader, rabbitmqURL: String?) throws {
        self.init()
        let url = rabbitmqURL.flatMap { URLComponents(string: $0) }
        host = reader.optionalString("TRAVIS_AMQP_HOST") ?? url?.host.flatMap { $0.isEmpty ? nil : $0 }
        apiPort = try reader.optionalInteger("TRAVIS_AMQP_API_PORT", in: 1...65535)
        vhost = reader.optionalString("TRAVIS_AMQP_VHOST") ?? url.map(Self.vhost(of:)) ?? vhost
        username = reader.optionalString("TRAVIS_AMQP_USERNAME") ?? url?.user
        password = reader.optionalString("TRAVIS_AMQP_PASSWORD") ?? url?.password
        managementUser = reader.optionalString("TRAVIS_AMQP_MANAGEMENT_USER")
        managementPassword = reader.firstValue("TRAVIS_AMQP_MANAGEMENT_PASS", "TRAVIS_AMQP_MANAGEMENT_PASSWORD")?.value
        tls = try reader.bool("TRAVIS_AMQP_TLS", default: tls)
        shardsPerNode = try reader.integer("TRAVIS_AMQP_SHARDS_PER_NODE", default: shardsPerNode, in: 1...Int.max)
        shardsPriority = try reader.integer("TRAVIS_AMQP_SHARDS_PRIORITY", default: shardsPriority, in: .min ... .max)
    }

    /// Returns the vhost of an AMQP URL: its path without the leading `/`, percent-decoded, or `/`
    /// when the path is empty.
    private static func vhost(of url: URLComponents) -> String {
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        return path.isEmpty ? "/" : path
    }
}
