import RelayCrypto
import Testing

@Suite struct CRC32Tests {
    @Test func knownAnswers() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)  // the CRC-32 check value
        #expect(CRC32.checksum([]) == 0)
        #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
        // zlib.crc32(b'{"eventType":"WEB_HOOK_VERIFY"}') in Python
        #expect(CRC32.checksum(Array(#"{"eventType":"WEB_HOOK_VERIFY"}"#.utf8)) == 2_427_085_738)
    }

    @Test func everyByteMatters() {
        #expect(CRC32.checksum(Array("123456789".utf8)) != CRC32.checksum(Array("123456788".utf8)))
        #expect(CRC32.checksum([0]) != CRC32.checksum([0, 0]))
    }
}
