// A benchmark case: a network, its neurons, steps, batch and threads, as the command line names it.
import GNModelBuilder
import GNRuntimeC
#if canImport(Glibc)
import Glibc
#endif

/// One benchmark case: a network (by name), its neurons (τ and T for Group Neurons), batch and threads.
struct Case {
    var network: String
    var neuron: gn_neuron_kind
    var tau: UInt32
    var steps: UInt32
    var batch: UInt32
    var threads: UInt32

    var label: String {
        let kind = neuron == GN_NEURON_ANN ? "ann" : neuron == GN_NEURON_GROUP ? "gn tau=\(tau) T=\(steps)" : "if T=\(steps)"
        return "\(network) \(kind) batch=\(batch) threads=\(threads)"
    }

    /// The session options of this case.
    var options: gn_session_options {
        var options = gn_session_options_default()
        options.neuron = neuron
        options.tau = tau
        options.time_steps = steps
        options.batch = batch
        options.threads = threads
        return options
    }

    /// The key the peer script reports the same configuration under.
    var peerKey: String {
        let kind = neuron == GN_NEURON_ANN ? "ann" : "gn_tau\(tau)_T\(steps)"
        return "\(network)_\(kind)_b\(batch)_t\(threads)"
    }

    /// The ANN of the same network, batch and threads: what ONNX Runtime runs. GN with τ = L at T = 1
    /// computes exactly the ANN, so it is compared with ONNX Runtime on the ANN.
    var annKey: String { "\(network)_ann_b\(batch)_t\(threads)" }

    /// The keys to ask the peer script for: this configuration's, and the ANN's when ONNX Runtime's
    /// time on it is a peer too.
    var peerKeys: [String] { comparesWithONNXRuntime && annKey != peerKey ? [peerKey, annKey] : [peerKey] }

    /// Whether ONNX Runtime's time on the ANN is the peer of this case.
    var comparesWithONNXRuntime: Bool {
        neuron == GN_NEURON_ANN || (neuron == GN_NEURON_GROUP && tau == 8 && steps == 1)
    }
}

/// The networks a case may name: the paper's CIFAR-sized ones, FP32 or with int8 weights (but in the
/// first layer), ResNet-18 on ImageNet-sized inputs, and the examples' Fashion-MNIST network on grey
/// 28 × 28 images.
let caseNetworks: [String: (architecture: ReferenceNetworks.Architecture, size: Int, int8: Bool)] = [
    "vgg16": (.vgg16, 32, false), "resnet20": (.resnet20, 32, false),
    "vgg16-int8": (.vgg16, 32, true), "resnet20-int8": (.resnet20, 32, true), "resnet18-224": (.resnet18, 224, false),
    "fashion-mnist": (.fashionMNIST, 28, false),
]

/// A case from NETWORK,NEURON,TAU,T,BATCH,THREADS (e.g. resnet20,gn,4,4,1,2), with its network.
func parseCase(_ text: String) -> (Network, Case) {
    let fields = text.split(separator: ",").map(String.init)
    guard fields.count == 6, let tau = UInt32(fields[2]), let steps = UInt32(fields[3]), let batch = UInt32(fields[4]),
          let threads = UInt32(fields[5]), let shape = caseNetworks[fields[0]] else {
        print("a case is NETWORK,NEURON,TAU,T,BATCH,THREADS with NETWORK one of "
              + caseNetworks.keys.sorted().joined(separator: ", ") + ", e.g. resnet20,gn,4,4,1,2")
        exit(2)
    }
    let net = network(shape.architecture, size: shape.size, int8: shape.int8)
    let neuron = fields[1] == "ann" ? GN_NEURON_ANN : fields[1] == "if" ? GN_NEURON_IF : GN_NEURON_GROUP
    return (net, Case(network: net.name, neuron: neuron, tau: tau, steps: steps, batch: batch, threads: threads))
}
