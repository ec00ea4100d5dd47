import FuzzTargets

// Built with -parse-as-library: main() is libFuzzer's, which calls this per input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    libFuzzerTestOneInput(.botScript, data, size)
}
