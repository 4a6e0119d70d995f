import BotFlowCore
import Foundation

/// Secret files of behaviour §1.2: `<data dir>/<name>` holds 32 random bytes as 64 lower-case hex characters (no
/// newline), mode 0600, created once with O_EXCL so two starting processes cannot both write it.
public enum SecretFiles {
    public static func loadOrCreate(directory: String, name: String) throws -> String {
        let path = directory + "/" + name
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            return text
        }
        var rng = SystemRandomNumberGenerator()
        let secret = Hex.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if fd < 0 {
            if errno == EEXIST, let text = try? String(contentsOfFile: path, encoding: .utf8) { return text }
            throw ConfigurationError("cannot create secret file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let bytes = Array(secret.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count, fsync(fd) == 0 else {
            throw ConfigurationError("cannot write secret file \(path): \(String(cString: strerror(errno)))")
        }
        return secret
    }
}
