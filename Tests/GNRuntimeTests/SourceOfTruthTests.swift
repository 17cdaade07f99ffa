import XCTest
import GNRuntimeC
@testable import GNRuntimeCore

/// The rules written once in Swift and copied where another language needs them agree with their
/// source, and the kernel variants are builds of one set of sources.
final class SourceOfTruthTests: XCTestCase {
    /// The C enum of every neuron kind; a new kind does not compile until it has one here.
    private func cValue(_ kind: NeuronKind) -> gn_neuron_kind {
        switch kind {
        case .ann: return GN_NEURON_ANN
        case .groupNeuron: return GN_NEURON_GROUP
        case .integrateAndFire: return GN_NEURON_IF
        }
    }

    /// The C enum of every instruction set; likewise.
    private func cValue(_ set: InstructionSet) -> gn_isa {
        switch set {
        case .baseline: return GN_ISA_BASELINE
        case .avx2: return GN_ISA_AVX2
        case .avx512: return GN_ISA_AVX512
        case .avx512vnni: return GN_ISA_AVX512_VNNI
        case .avx2vnni: return GN_ISA_AVX2_VNNI
        }
    }

    func testTheHeaderEnumsAreTheSwiftRawValues() {
        for kind in NeuronKind.allCases {
            XCTAssertEqual(cValue(kind).rawValue, kind.rawValue, "\(kind.name)")
        }
        for set in InstructionSet.allCases {
            XCTAssertEqual(cValue(set).rawValue, set.rawValue, "\(set.name)")
            XCTAssertEqual(String(cString: gn_isa_name(cValue(set))), "\(set.name)")
        }
        XCTAssertEqual(GN_ISA_AUTO.rawValue, 0, "0 is automatic: no instruction set has it")
        XCTAssertEqual(GN_MAX_TAU, Int32(NeuronKind.maxTau))
    }

    func testEveryKernelVariantIsALinkToTheKernelSources() throws {
        // Tests/GNRuntimeTests/<this file> → the package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let kernels = root.appendingPathComponent("Sources/Kernels").resolvingSymlinksInPath().path
        let sources = root.appendingPathComponent("Sources")
        let variants = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasPrefix("GNKernels") }
        XCTAssertTrue(variants.contains("GNKernelsBaseline"))
        for variant in variants {
            let folder = sources.appendingPathComponent(variant)
            let entries = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            XCTAssertEqual(entries, ["Kernels"], "\(variant) holds only the link to Sources/Kernels")
            let link = folder.appendingPathComponent("Kernels")
            XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link.path), "../Kernels", variant)
            XCTAssertEqual(link.resolvingSymlinksInPath().path, kernels, variant)
        }
    }
}
