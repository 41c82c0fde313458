internal import CHiredis
internal import CRabbitMQ

/// Versions of the C libraries that LogsTransport links.
public enum TransportLibraries {
    /// The rabbitmq-c version, such as "0.11.0", as the linked library reports it.
    public static var rabbitMQVersion: String {
        String(cString: amqp_version())
    }

    /// The hiredis version, such as "0.14.1".
    ///
    /// hiredis 0.14 has no call that reports its version at run time, so this is the version of the
    /// headers the module was compiled against.
    public static var hiredisVersion: String {
        let number = Int(travis_hiredis_version_number())
        return "\(number / 10_000).\(number / 100 % 100).\(number % 100)"
    }
}
