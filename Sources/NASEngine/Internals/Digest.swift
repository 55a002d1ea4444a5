/// 64-bit FNV-1a over UTF-8 bytes: a short, stable, platform-independent content digest for
/// naming tables (not a cryptographic hash).
public enum Digest {
    public static func fnv1a64(_ text: String) -> UInt64 { fnv1a64(bytes: text.utf8) }

    /// The digest of any byte sequence (e.g. a checkpoint's `Data`). O(n).
    public static func fnv1a64<Bytes: Sequence>(bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// The digest as 16 lowercase hex digits.
    public static func hex(_ text: String) -> String {
        let value = String(fnv1a64(text), radix: 16)
        return String(repeating: "0", count: 16 - value.count) + value
    }
}
