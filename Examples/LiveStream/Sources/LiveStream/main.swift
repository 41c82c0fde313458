import Foundation
import LogsCore

// Prints the log of a job from a running travis-logs web process as its parts arrive, and exits
// after the final part. Usage: AUTH_TOKEN=... LiveStream JOB_ID [BASE_URL]
let arguments = CommandLine.arguments.dropFirst()
guard let jobText = arguments.first, let jobNumber = Int64(jobText), jobNumber > 0 else {
    FileHandle.standardError.write(Data("usage: AUTH_TOKEN=<token> LiveStream <job id> [<base URL>]\n".utf8))
    exit(2)
}
let baseText = arguments.dropFirst().first ?? "http://127.0.0.1:5555"
guard let baseURL = URL(string: baseText), baseURL.host != nil else {
    FileHandle.standardError.write(
        Data("LiveStream: invalid base URL '\(baseText)'; pass one such as http://127.0.0.1:5555\n".utf8))
    exit(2)
}
guard let token = ProcessInfo.processInfo.environment["AUTH_TOKEN"], !token.isEmpty else {
    FileHandle.standardError.write(Data("LiveStream: AUTH_TOKEN is not set; export the web process's token\n".utf8))
    exit(2)
}

let client = LiveStreamClient(baseURL: baseURL, jobID: JobID(jobNumber), token: token)
do {
    let parts = try await client.run(
        onPart: { _, bytes in FileHandle.standardOutput.write(Data(bytes)) },
        onLog: { bytes in FileHandle.standardOutput.write(Data(bytes)) })
    FileHandle.standardError.write(Data("LiveStream: end of the log of job \(jobNumber) after \(parts) parts\n".utf8))
} catch {
    FileHandle.standardError.write(Data("LiveStream: \(error)\n".utf8))
    exit(1)
}
