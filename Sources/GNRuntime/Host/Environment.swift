#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import GNRuntimeCore

/// The environment variables the library reads.
enum Environment {
    /// `GNRUNTIME_ISA`: the widest instruction set sessions that ask for none may use, by name
    /// ("baseline", "avx2", "avx2vnni", "avx512", "avx512vnni"); nil when it is unset or empty. Another value is an error, not
    /// ignored: a mistyped override would otherwise go unnoticed.
    static func instructionSet() throws(GNError) -> InstructionSet? {
        guard let value = getenv("GNRUNTIME_ISA"), value[0] != 0 else { return nil }
        let name = String(cString: value)
        guard let set = InstructionSet.allCases.first(where: { $0.name.description == name }) else {
            throw GNError(.invalidOption, "GNRUNTIME_ISA must be baseline, avx2, avx2vnni, avx512 or avx512vnni")
        }
        return set
    }
}
