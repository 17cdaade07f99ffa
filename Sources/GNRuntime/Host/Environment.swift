#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import GNRuntimeCore

/// The environment variables the library reads.
enum Environment {
    /// `GNRUNTIME_ISA`: the widest instruction set sessions created with `GN_ISA_AUTO` may use, by
    /// name ("baseline", "avx2", "avx512"); nil when it is unset or empty. Another value is an error,
    /// not ignored: a mistyped override would otherwise go unnoticed.
    static func instructionSet() throws(GNError) -> InstructionSet? {
        guard let value = getenv("GNRUNTIME_ISA"), value[0] != 0 else { return nil }
        var raw = InstructionSet.baseline.rawValue
        while let set = InstructionSet(rawValue: raw) {
            if set.name.withUTF8Buffer({ name in strcmp(value, UnsafeRawPointer(name.baseAddress!).assumingMemoryBound(to: CChar.self)) == 0 }) {
                return set
            }
            raw += 1
        }
        throw GNError(.invalidOption, "GNRUNTIME_ISA must be baseline, avx2 or avx512")
    }
}
