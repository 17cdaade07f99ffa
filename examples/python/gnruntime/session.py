"""Sessions: one model under fixed options (neuron kind, τ, T, batch), ready to run."""
from __future__ import annotations

import ctypes
from typing import Callable, Optional, Sequence, Union

import numpy as np

from . import writer
from ._errors import UnsupportedError
from ._handle import OwnedHandle
from ._library import LayerObserver, NeuronLayerInfo, check, default_options, library
from .accounting import SpikeCounts
from .model import Model

NEURONS = {"ann": 0, "gn": 1, "if": 2}
SCHEDULES = {"layer": 0, "step": 1, "lean": 2}
EXIT_RULES = {"none": 0, "margin": 1, "stable": 2}
#: ``gn_isa``: the instruction sets kernels are compiled for ("auto": the widest this CPU runs).
ISAS = {"auto": 0, "baseline": 1, "avx2": 2, "avx512": 3, "avx512vnni": 4, "avx2vnni": 5}
_ISA_NAMES = {value: name for name, value in ISAS.items()}


def cpu_isa() -> str:
    """The widest instruction set this CPU runs among those the library carries kernels for: what
    ``isa="auto"`` chooses (unless the environment variable GNRUNTIME_ISA names another)."""
    return _ISA_NAMES[library().gn_cpu_isa()]


#: The instruction sets of ``ISAS`` other than "auto", narrow to wide.
ISA_ORDER = ("baseline", "avx2", "avx2vnni", "avx512", "avx512vnni")


def runnable_isas() -> list[str]:
    """The instruction sets a Session on this CPU accepts besides "auto", narrow to wide: those up to
    ``cpu_isa()`` less any the CPU lacks (a CPU with AVX-512 may lack AVX-VNNI, which is narrower).
    Found by opening a one-weight session with each."""
    data = writer.encode((1, 1, 1), [writer.Linear(np.ones((1, 1), dtype=np.float32), None)])
    runnable = []
    with Model.load(data) as model:
        for isa in ISA_ORDER[:ISA_ORDER.index(cpu_isa()) + 1]:
            try:
                Session(model, "ann", isa=isa).close()
                runnable.append(isa)
            except UnsupportedError:
                pass
    return runnable


#: Called with (layer index, step, output) after each layer; output is a read-only view,
#: (samples, C, H, W), valid only during the call. Layer index -1 is the run's input
#: (``Session.set_observer(..., observe_input=True)``).
ObserverFunction = Callable[[int, int, np.ndarray], None]

#: gn_session_observe_input's layer index (GN_OBSERVED_INPUT, SIZE_MAX) as ctypes passes it.
_OBSERVED_INPUT = 2 ** (8 * ctypes.sizeof(ctypes.c_size_t)) - 1


class Session(OwnedHandle):
    """Runs a model as the QCFS ANN (``neuron="ann"``), with Group Neurons of ``tau`` members
    (``"gn"``) or with IF neurons (``"if"``), for ``T`` time steps, on up to ``batch`` samples per run.

    ``tau`` is one member count for every QCFS layer, or a sequence with one entry per QCFS layer
    (0 = use 4). ``threads`` > 1 spreads each layer over a pool of threads that lives as long as the
    session. ``schedule="layer"`` (the default) computes each layer for all T steps at once (faster);
    ``"step"`` runs the network once per step (less memory); the results are the same.

    ``count_spikes=True`` counts spikes and synaptic operations per neuron layer, step and sample
    (``spike_counts``). ``exit_margin`` stops a sample after the first step at which its running
    output's top value exceeds the second by more than the margin; ``exit_stable=k`` after the first
    step at which its running prediction has been the same for k steps (``sample_steps`` tells when).
    A session with an exit rule runs step by step. ``begin_stream`` and ``step`` feed one step's input
    at a time (a step-by-step session).

    ``isa`` is the widest instruction set the kernels may use: ``"auto"`` (the widest this CPU runs,
    or GNRUNTIME_ISA's), ``"baseline"``, ``"avx2"``, ``"avx2vnni"``, ``"avx512"`` or ``"avx512vnni"``; one this CPU cannot run raises
    ``UnsupportedError``. ``isa`` and ``layer_kernels()`` tell what the session runs. Close it with
    ``close`` or a ``with`` block.
    """

    _noun = "session"

    def __init__(self, model: Model, neuron: str = "gn", tau: Union[int, Sequence[int]] = 4, T: int = 4,
                 batch: int = 1, threads: int = 1, schedule: str = "layer", count_spikes: bool = False,
                 exit_margin: Optional[float] = None, exit_stable: Optional[int] = None,
                 isa: str = "auto") -> None:
        if neuron not in NEURONS:
            raise ValueError(f"neuron must be one of {sorted(NEURONS)}, not {neuron!r}")
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {sorted(SCHEDULES)}, not {schedule!r}")
        if isa not in ISAS:
            raise ValueError(f"isa must be one of {sorted(ISAS)}, not {isa!r}")
        if exit_margin is not None and exit_stable is not None:
            raise ValueError("give exit_margin or exit_stable, not both")
        for name, value in (("T", T), ("batch", batch), ("threads", threads)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not 0 <= value < 2**32:
                raise ValueError(f"{name} must be an integer in 0 ... 2^32 - 1, not {value!r}")
        lib = library()
        options = default_options()
        options.neuron = NEURONS[neuron]
        options.time_steps = int(T)
        options.batch = int(batch)
        options.threads = int(threads)
        options.schedule = SCHEDULES[schedule]
        options.count_spikes = 1 if count_spikes else 0
        options.isa = ISAS[isa]
        if exit_margin is not None:
            options.exit_rule = EXIT_RULES["margin"]
            options.exit_margin = float(exit_margin)
        elif exit_stable is not None:
            if not isinstance(exit_stable, (int, np.integer)) or isinstance(exit_stable, bool) or not 0 <= exit_stable < 2**32:
                raise ValueError(f"exit_stable must be an integer in 1 ... 2^32 - 1, not {exit_stable!r}")
            options.exit_rule = EXIT_RULES["stable"]
            options.exit_steps = int(exit_stable)
        layer_tau = None
        if isinstance(tau, (int, np.integer)) and not isinstance(tau, bool):
            if not 0 <= tau < 2**32:
                raise ValueError(f"tau must be an integer in 1 ... 64, not {tau!r}")
            options.tau = int(tau)
        else:
            values = [int(t) for t in tau]
            if any(not 0 <= t < 2**32 for t in values):
                raise ValueError(f"tau entries must be 0 ... 64, not {values}")
            layer_tau = (ctypes.c_uint32 * len(values))(*values)
            options.layer_tau = ctypes.cast(layer_tau, ctypes.POINTER(ctypes.c_uint32))
            options.layer_tau_count = len(values)
        arena_bytes = ctypes.c_size_t()
        check(lib.gn_session_arena_size(model.handle, ctypes.byref(options), ctypes.byref(arena_bytes)))
        #: The bytes of memory the session's arena takes (activations, membranes, plans, scratch).
        self.arena_bytes = arena_bytes.value
        handle = ctypes.c_void_p()
        check(lib.gn_session_create(model.handle, ctypes.byref(options), ctypes.byref(handle)))
        super().__init__(handle)
        self.model = model
        self.neuron = neuron
        self.batch = int(batch)
        self.input_shape = model.input_shape
        self.output_shape = model.output_shape
        self._output_size = int(np.prod(self.output_shape))
        self._layer_shapes = [layer.output_shape for layer in model.layers]
        steps = ctypes.c_size_t()
        check(lib.gn_session_step_count(handle, ctypes.byref(steps)), self._last_error)
        self.steps = steps.value
        self.count_spikes = bool(count_spikes)
        self._samples_of_last_run = 0
        self._observer: Optional[LayerObserver] = None
        chosen = ctypes.c_int()
        check(lib.gn_session_isa(handle, ctypes.byref(chosen)), self._last_error)
        #: The widest instruction set the session's kernels use ("baseline", "avx2", "avx2vnni", "avx512", "avx512vnni").
        self.isa = _ISA_NAMES[chosen.value]

    def layer_kernels(self) -> list[tuple[str, str]]:
        """The kernel of every layer, as (name, instruction set): ``("conv2d.tiled8x32", "avx512")``;
        a layer that computes nothing (a flatten) has ``("none", "auto")``."""
        lib = library()
        kernels = []
        for index in range(len(self._layer_shapes)):
            name = ctypes.c_char_p()
            isa = ctypes.c_int()
            check(lib.gn_session_layer_kernel(self.handle, index, ctypes.byref(name), ctypes.byref(isa)), self._last_error)
            kernels.append(((name.value or b"").decode(), _ISA_NAMES.get(isa.value, "unknown")))
        return kernels

    # -- lifetime ---------------------------------------------------------------------------------

    def _release(self, handle: ctypes.c_void_p) -> None:
        library().gn_session_free(handle)

    def _last_error(self) -> Optional[bytes]:
        return library().gn_session_last_error(self._handle) if self._handle is not None else None

    # -- running ----------------------------------------------------------------------------------

    def _check_input(self, x: np.ndarray) -> int:
        if not isinstance(x, np.ndarray):
            raise TypeError(f"x must be a numpy array, not {type(x).__name__}")
        if x.dtype != np.float32:
            raise TypeError(f"x must be float32, not {x.dtype} (use x.astype(np.float32))")
        if x.ndim != 4 or tuple(x.shape[1:]) != tuple(self.input_shape):
            raise ValueError(f"x must have shape (n, {', '.join(map(str, self.input_shape))}), not {x.shape}")
        if not 1 <= x.shape[0] <= self.batch:
            raise ValueError(f"x holds {x.shape[0]} samples; this session takes 1 ... {self.batch}")
        if not x.flags.c_contiguous:
            raise ValueError("x must be C-contiguous (use np.ascontiguousarray(x))")
        return int(x.shape[0])

    def run(self, x: np.ndarray) -> np.ndarray:
        """Runs ``x`` (float32, C-contiguous, shape (n, C, H, W), 1 ≤ n ≤ batch) for the session's
        time steps; returns the mean over the steps of the last layer, shape (n, output size)."""
        samples = self._check_input(x)
        output = np.empty((samples, self._output_size), dtype=np.float32)
        check(library().gn_session_run(self.handle, x.ctypes.data, x.size, samples, output.ctypes.data, output.size),
              self._last_error)
        self._samples_of_last_run = samples
        return output

    def _steps_taken(self) -> int:
        steps = ctypes.c_size_t()
        check(library().gn_session_steps_taken(self.handle, ctypes.byref(steps)), self._last_error)
        return steps.value

    def predictions(self) -> np.ndarray:
        """The running prediction after every step of the last run (or of the stream so far):
        int32, shape (steps, n). A sample an exit rule stopped keeps its last prediction."""
        out = np.empty((self._steps_taken(), self._samples_of_last_run), dtype=np.int32)
        check(library().gn_session_predictions(self.handle, out.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)),
                                               out.size), self._last_error)
        return out

    def sample_steps(self) -> np.ndarray:
        """The steps each sample of the last run computed: T, or fewer where the exit rule stopped
        it; int64, shape (n,)."""
        out = np.empty(self._samples_of_last_run, dtype=np.uint32)
        check(library().gn_session_sample_steps(self.handle, out.ctypes.data_as(ctypes.POINTER(ctypes.c_uint32)),
                                                out.size), self._last_error)
        return out.astype(np.int64)

    @property
    def analog_mac_count(self) -> int:
        """Multiply-accumulates of one sample on analog values: the conv2d and linear layers reading
        the input (or what depends on it through no neuron), computed once per run."""
        macs = ctypes.c_uint64()
        check(library().gn_session_analog_mac_count(self.handle, ctypes.byref(macs)), self._last_error)
        return macs.value

    def spike_counts(self) -> SpikeCounts:
        """Spikes and synaptic operations of the last run (or the stream so far), per step, neuron
        layer and sample, with what turns them into rates and energy. Needs ``count_spikes=True``."""
        lib = library()
        layers = self.model.neuron_layer_count
        infos = []
        for index in range(layers):
            info = NeuronLayerInfo()
            check(lib.gn_session_neuron_layer(self.handle, index, ctypes.byref(info)), self._last_error)
            infos.append(info)
        shape = (self._steps_taken(), layers, self._samples_of_last_run)
        spikes = np.empty(shape, dtype=np.uint64)
        operations = np.empty(shape, dtype=np.uint64)
        pointer = ctypes.POINTER(ctypes.c_uint64)
        check(lib.gn_session_spike_counts(self.handle, spikes.ctypes.data_as(pointer), operations.ctypes.data_as(pointer),
                                          spikes.size), self._last_error)
        return SpikeCounts(
            spikes=spikes.astype(np.int64), synaptic_operations=operations.astype(np.int64),
            layers=tuple(int(info.layer) for info in infos),
            neurons=np.array([info.neurons for info in infos], dtype=np.int64),
            members=np.array([info.members for info in infos], dtype=np.int64),
            synapses=np.array([info.synapses for info in infos], dtype=np.int64),
            analog_macs=self.analog_mac_count, sample_steps=self.sample_steps())

    # -- streams ----------------------------------------------------------------------------------

    def begin_stream(self, samples: int = 1) -> None:
        """Begins a stream of ``samples`` samples: every neuron at rest, no step taken. Needs a
        session that runs step by step (``schedule="step"``, T = 1, or ANN)."""
        if not isinstance(samples, (int, np.integer)) or isinstance(samples, bool) or not 1 <= samples <= self.batch:
            raise ValueError(f"samples must be in 1 ... {self.batch}, not {samples!r}")
        check(library().gn_session_begin_stream(self.handle, int(samples)), self._last_error)
        self._samples_of_last_run = int(samples)

    def step(self, x: np.ndarray) -> np.ndarray:
        """Takes the next step of the stream with this step's input ``x`` (float32, (n, C, H, W), n
        as begun); returns this step's output of the last layer, (n, output size), not averaged.
        Fed the same input T times, a stream computes what ``run`` does."""
        samples = self._check_input(x)
        output = np.empty((samples, self._output_size), dtype=np.float32)
        check(library().gn_session_step(self.handle, x.ctypes.data, x.size, output.ctypes.data, output.size),
              self._last_error)
        return output

    def set_observer(self, function: Optional[ObserverFunction], observe_input: bool = False) -> None:
        """Calls ``function(layer, step, output)`` after every layer of later runs, with the
        layer's output for every sample as a (samples, C, H, W) array; ``None`` removes it. With
        ``observe_input``, each run first calls it with layer -1 and the run's input, once the input
        is checked and laid out as the layers read it: the time between that call and layer 0's is
        layer 0's own. Observing is for analysis: it slows runs down."""
        check(library().gn_session_observe_input(self.handle, int(function is not None and observe_input)),
              self._last_error)
        if function is None:
            check(library().gn_session_set_observer(self.handle, LayerObserver(), None), self._last_error)
            self._observer = None
            return
        # Each layer's output shape, and the input's under -1.
        shapes = {-1: tuple(self.input_shape), **dict(enumerate(self._layer_shapes))}

        def trampoline(_context: int, layer: int, step: int, output, count: int) -> None:
            if layer == _OBSERVED_INPUT:
                layer = -1
            if count == 0:  # a lean session's convolution computed in bands: never whole in memory
                function(layer, step, None)
                return
            channels, height, width = shapes[layer]
            values = np.ctypeslib.as_array(output, shape=(count,))
            samples = count // (channels * height * width)
            nchw = values.reshape(samples, height, width, channels).transpose(0, 3, 1, 2)
            nchw.flags.writeable = False
            function(layer, step, nchw)

        self._observer = LayerObserver(trampoline)  # kept: ctypes must not free it while set
        check(library().gn_session_set_observer(self.handle, self._observer, None), self._last_error)

    def time_layers(self, time: bool = True) -> None:
        """Times every layer of later runs (``layer_times``), or, with ``False``, no longer. The times
        are those of runs as the session runs them: unobserved, layer by layer at T > 1 in passes of
        samples, step by step or at T = 1 with the neuron layers that convolutions compute in their tasks
        (an observer makes every layer run on its own over the whole batch, and is not timed)."""
        check(library().gn_session_time_layers(self.handle, int(time)), self._last_error)

    def layer_times(self) -> np.ndarray:
        """Each layer's time in the last run (or the stream's steps so far), in seconds, as a float64
        array with one entry per layer (``time_layers`` first). A convolution and the neuron layer it
        computes in its tasks share their time as their tasks did; an add computed in its neuron
        layer's tasks, and a lean session's convolution in bands, have 0: their time is in the neuron
        layer's. Where several threads took passes of samples at once, their times add up."""
        lib = library()
        times = np.empty(len(self._layer_shapes), np.float64)
        nanoseconds = ctypes.c_uint64()
        for index in range(len(times)):
            check(lib.gn_session_layer_time(self.handle, index, ctypes.byref(nanoseconds)), self._last_error)
            times[index] = nanoseconds.value / 1e9
        return times

    def __repr__(self) -> str:
        return f"<gnruntime.Session neuron={self.neuron} steps={self.steps} batch={self.batch}>"
