internal import CHiredis
import Foundation

extension RedisConnection {
    /// Writes every command into hiredis's output buffer, then reads one reply per command.
    ///
    /// On an I/O or protocol error the context is freed, so the next call reconnects.
    func exchange(_ commands: [[String]], on context: UnsafeMutablePointer<redisContext>) throws -> [RedisReply] {
        for arguments in commands {
            let status = Self.withArgv(arguments) { count, argv, lengths in
                redisAppendCommandArgv(context, count, argv, lengths)
            }
            if status != REDIS_OK { throw failConnection(context, command: arguments.first) }
        }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for arguments in commands {
            var reply: UnsafeMutablePointer<redisReply>?
            guard travis_redis_get_reply(context, &reply) == REDIS_OK, let reply else {
                throw failConnection(context, command: arguments.first)
            }
            defer { freeReplyObject(reply) }
            replies.append(Self.convert(reply))
        }
        return replies
    }

    private func failConnection(_ context: UnsafeMutablePointer<redisContext>, command: String?) -> RedisError {
        let code: RedisError.Code = context.pointee.err == REDIS_ERR_PROTOCOL ? .protocolError : .io
        let error = RedisError(code, Self.errorText(of: context), command: command?.uppercased())
        disconnect()
        return error
    }

    /// Calls `body` with C views of `arguments` that live only during the call.
    static func withArgv<Result>(
        _ arguments: [String],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> Result
    ) -> Result {
        // Reserved at their final sizes, because growing them took most of this function's time
        // for the forwarding worker's PUBLISH commands of about 200 bytes.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(arguments.reduce(1) { $0 + $1.utf8.count })
        var offsets: [Int] = []
        offsets.reserveCapacity(arguments.count)
        var lengths: [Int] = []
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            offsets.append(bytes.count)
            lengths.append(argument.utf8.count)
            bytes.append(contentsOf: argument.utf8)
        }
        bytes.append(0)
        return bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var argv: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
            return argv.withUnsafeMutableBufferPointer { argvBuffer in
                lengths.withUnsafeBufferPointer { lengthBuffer in
                    body(Int32(arguments.count), argvBuffer.baseAddress!, lengthBuffer.baseAddress!)
                }
            }
        }
    }

    static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STRING:
            return .string(text(value.str, length: value.len))
        case REDIS_REPLY_STATUS:
            return .status(text(value.str, length: value.len))
        case REDIS_REPLY_ERROR:
            return .error(text(value.str, length: value.len))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(value.integer))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(value.elements)
            for index in 0..<value.elements {
                if let element = value.element[index] { elements.append(convert(element)) }
            }
            return .array(elements)
        default:
            return .null
        }
    }

    private static func text(_ pointer: UnsafeMutablePointer<CChar>?, length: Int) -> String {
        guard let pointer, length > 0 else { return "" }
        let bytes = UnsafeRawBufferPointer(start: pointer, count: length)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func errorText(of context: UnsafeMutablePointer<redisContext>) -> String {
        let text = withUnsafeBytes(of: context.pointee.errstr) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "connection lost" : text
    }

    static func timeval(_ duration: Duration) -> Foundation.timeval {
        let microseconds = max(0, Int(duration.timeInterval * 1_000_000))
        return Foundation.timeval(tv_sec: microseconds / 1_000_000, tv_usec: microseconds % 1_000_000)
    }
}
