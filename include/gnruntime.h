/*
 * gnruntime.h — the C API of GNRuntime, a runtime for spiking neural networks converted from
 * QCFS-trained ANNs with Group Neurons (Lv et al., "Optimal ANN-SNN Conversion with Group Neurons",
 * ICASSP 2024).
 *
 * Usage:
 *
 *     gn_model *model = NULL;
 *     if (gn_model_load_file("model.gnrt", 0, &model) != GN_STATUS_OK) {
 *         fprintf(stderr, "%s\n", gn_last_error());
 *         return 1;
 *     }
 *     gn_session_options options = gn_session_options_default();
 *     options.neuron = GN_NEURON_GROUP;      // Group Neurons ...
 *     options.tau = 4;                       // ... of 4 members each,
 *     options.time_steps = 4;                // run for 4 time steps
 *     gn_session *session = NULL;
 *     if (gn_session_create(model, &options, &session) != GN_STATUS_OK) { ... }
 *
 *     float image[3 * 32 * 32];              // one sample, NCHW
 *     float logits[10];
 *     gn_status status = gn_session_run(session, image, 3 * 32 * 32, 1, logits, 10);
 *     int32_t per_step[4];                   // the running prediction after each step
 *     gn_session_predictions(session, per_step, 4);
 *
 *     gn_session_free(session);
 *     gn_model_free(model);
 *
 * Conventions:
 * - Every fallible function returns a gn_status; GN_STATUS_OK is 0. On failure, gn_last_error()
 *   (and, for a session, gn_session_last_error()) says what was wrong.
 * - Out-parameters come last, are named *_out, and are written only on success.
 * - Every create/load has a free that accepts NULL.
 * - A model is immutable: any number of threads may use it, and the sessions made from it, at once.
 *   A session is used by one thread at a time (any thread, not concurrently).
 * - Tensors cross the API as float32 in NCHW order (PyTorch's), samples one after another.
 * - gn_session_run allocates no memory.
 * - ABI: releases with the same major version run programs built against earlier ones (CHANGELOG.md,
 *   "Versioning"); the shared library's SONAME is libgnruntime.so.MAJOR. Structs the caller fills
 *   (gn_session_options) carry their size; structs the library fills keep their layout within a major.
 */
#ifndef GNRUNTIME_H
#define GNRUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define GN_API __declspec(dllimport)
#elif defined(__GNUC__) || defined(__clang__)
#define GN_API __attribute__((visibility("default")))
#else
#define GN_API
#endif

/* The version of this header. gn_version() returns the library's: check they agree. */
#define GN_VERSION_MAJOR 0
#define GN_VERSION_MINOR 5
#define GN_VERSION_PATCH 0
#define GN_VERSION ((GN_VERSION_MAJOR << 16) | (GN_VERSION_MINOR << 8) | GN_VERSION_PATCH)

/* The largest number of members a Group Neuron may have. */
#define GN_MAX_TAU 64

/* Required alignment, in bytes, of a caller-provided session arena and of borrowed model bytes. */
#define GN_ALIGNMENT 64

/* Flags of the gn_model_load_* functions. */
#define GN_LOAD_DEFAULT 0u
/* Skip the CRC-32 comparison (for bytes verified before, e.g. in flash); every structural check still runs. */
#define GN_LOAD_SKIP_CHECKSUM 1u

/* The outcome of a call. Values never change; new ones may be added. */
typedef enum gn_status {
    GN_STATUS_OK = 0,                /* success */
    GN_STATUS_NULL_POINTER = 1,      /* a required pointer was NULL */
    GN_STATUS_INVALID_OPTION = 2,    /* a session option is out of range */
    GN_STATUS_SIZE_MISMATCH = 3,     /* a buffer's element count or a sample count does not fit the model */
    GN_STATUS_INVALID_INPUT = 4,     /* the input holds NaN or infinity */
    GN_STATUS_BAD_MODEL = 5,         /* the model bytes are malformed, truncated or corrupted */
    GN_STATUS_UNSUPPORTED = 6,       /* valid but not supported: newer format, op not available for the neuron kind */
    GN_STATUS_ARENA_TOO_SMALL = 7,   /* the caller's arena is smaller than the session needs */
    GN_STATUS_MISALIGNED = 8,        /* an arena or borrowed model is not GN_ALIGNMENT-aligned */
    GN_STATUS_OUT_OF_MEMORY = 9,     /* the heap could not provide the memory */
    GN_STATUS_IO_ERROR = 10,         /* a file could not be opened or read */
    GN_STATUS_OUT_OF_RANGE = 11,     /* an index is past the end */
    GN_STATUS_NO_RESULT = 12,        /* the session has not run yet */
    GN_STATUS_INVALID_STATE = 13     /* the call does not fit the session's state: a step with no stream
                                        begun, a stream on a session that runs layer by layer */
} gn_status;

/* The neuron a session runs in place of every QCFS activation. */
typedef enum gn_neuron_kind {
    GN_NEURON_ANN = 0,    /* the QCFS ANN itself: one step, no state */
    GN_NEURON_GROUP = 1,  /* Group Neurons of tau members */
    GN_NEURON_IF = 2      /* integrate-and-fire neurons (the baseline) */
} gn_neuron_kind;

/* The order in which a spiking session computes layers and time steps; all give the same results,
   bit for bit. Sessions of one step, and sessions with an exit rule, run step by step whatever the
   schedule. */
typedef enum gn_schedule {
    GN_SCHEDULE_LAYER_BY_LAYER = 0,  /* each layer computes all T steps at once: faster; activations
                                        take T times the memory, membranes only each thread's chunk
                                        (default). A large batch of a network of few weights runs a
                                        pass of samples at a time through every layer (each thread its
                                        own passes), so that their activations stay in cache */
    GN_SCHEDULE_STEP_BY_STEP = 1,    /* the network runs once per step: activations of one step, one
                                        membrane per neuron layer; streams need it */
    GN_SCHEDULE_LEAN = 2             /* the least memory, for microcontrollers: of three plans, the one
                                        whose arena is smallest. Layer by layer with each convolution
                                        read only by the neuron layer after it computed a band of rows
                                        at a time, taken at once through that layer (its output never
                                        whole in memory), and the spike maps
                                        read only by int8 layers kept as bytes; or layer by layer; or
                                        step by step (which streams). The observer sees a banded
                                        convolution and a byte spike map with NULL and 0. */
} gn_schedule;

/* When a run stops computing a sample before T steps: once its running prediction is settled. A
   stopped sample costs no more work; its output is the mean over the steps it ran, and its running
   prediction for the later steps repeats the last one. */
typedef enum gn_exit_rule {
    GN_EXIT_NONE = 0,    /* every sample runs all T steps (default) */
    GN_EXIT_MARGIN = 1,  /* stop after the first step at which the running output's largest value exceeds
                            the second largest by more than exit_margin (one output: after step 1) */
    GN_EXIT_STABLE = 2   /* stop after the first step at which the running prediction has been the same
                            for exit_steps consecutive steps, counting that one */
} gn_exit_rule;

/* The instruction sets the library carries kernels for, narrowest first. One library runs on every
   CPU of its architecture: it detects the CPU when a session is created and runs the kernels of the
   widest set the CPU has. Kernels of sets that fuse multiply-add (every set but the x86-64 baseline)
   give results equal to one another bit for bit; the x86-64 baseline rounds each product first
   (docs/semantics.md, "Arithmetic"). */
typedef enum gn_isa {
    GN_ISA_AUTO = 0,      /* options: the widest set this CPU runs (or GNRUNTIME_ISA's, when set) */
    GN_ISA_BASELINE = 1,  /* what every CPU of the architecture runs: SSE2 on x86-64; NEON on AArch64 */
    GN_ISA_AVX2 = 2,      /* x86-64-v3: AVX2 and FMA (Intel Haswell, AMD Excavator and later) */
    GN_ISA_AVX512 = 3,    /* x86-64-v4: AVX-512 F, BW, CD, DQ, VL (Intel Skylake-SP, AMD Zen 4 and later) */
    GN_ISA_AVX512_VNNI = 4, /* x86-64-v4 and AVX-512 VNNI: int8 layers with vpdpbusd (Intel Cascade Lake,
                              AMD Zen 4 and later); its FP32 kernels are GN_ISA_AVX512's */
    GN_ISA_AVX2_VNNI = 5  /* x86-64-v3 and AVX-VNNI: int8 layers with 256-bit vpdpbusd, for CPUs without
                             AVX-512 (Intel Alder Lake, AMD Zen 5 and later); its FP32 kernels are
                             GN_ISA_AVX2's. In width it lies between GN_ISA_AVX2 and GN_ISA_AVX512. */
} gn_isa;

/* Layer kinds; the values are those of the model file (docs/model-format.md). */
typedef enum gn_layer_kind {
    GN_LAYER_CONV2D = 1,
    GN_LAYER_LINEAR = 2,
    GN_LAYER_AVGPOOL2D = 3,
    GN_LAYER_MAXPOOL2D = 4,
    GN_LAYER_GLOBAL_AVGPOOL = 5,
    GN_LAYER_FLATTEN = 6,
    GN_LAYER_ADD = 7,
    GN_LAYER_AFFINE = 8,
    GN_LAYER_QCFS = 9
} gn_layer_kind;

/* How a layer's weights are stored (gn_model_layer_weights). */
typedef enum gn_weight_type {
    GN_WEIGHTS_NONE = 0,    /* a layer without weights: neither conv2d nor linear */
    GN_WEIGHTS_FLOAT32 = 1, /* float32 weights */
    GN_WEIGHTS_INT8 = 2     /* int8 weights, one float32 scale per output channel (model format 1.1;
                               docs/semantics.md, "Integer layers") */
} gn_weight_type;

/* A loaded, validated model. Opaque; immutable; reference counted by its sessions. */
typedef struct gn_model gn_model;

/* A session: one model under fixed options, with its arena. Opaque. */
typedef struct gn_session gn_session;

/* The shape of one sample's tensor. */
typedef struct gn_shape {
    uint32_t channels;
    uint32_t height;
    uint32_t width;
} gn_shape;

/* What gn_model_layer reports of one layer. Unused fields are 0. */
typedef struct gn_layer_info {
    gn_layer_kind kind;
    uint32_t input_a;          /* tensor id of the first input: 0 = model input, i + 1 = output of layer i */
    int32_t input_b;           /* tensor id of the second input (add), else -1 */
    gn_shape output;           /* shape of the output of one sample */
    uint32_t kernel_height, kernel_width;
    uint32_t stride_height, stride_width;
    uint32_t padding_height, padding_width;
    uint32_t has_bias;         /* 1 when a conv2d or linear layer has a bias */
    uint32_t levels;           /* qcfs: L */
    float threshold;           /* qcfs: lambda */
    int32_t neuron_index;      /* qcfs: index among the qcfs layers (for layer_tau), else -1 */
} gn_layer_info;

/* Called by a session right after each layer runs (see gn_session_set_observer): `context` as given,
   the layer index, the time step (0-based), and the layer's output at that step for every sample of
   the run, as `count` floats in channels-last order ([sample][height][width][channels]; the layer's
   shape is in gn_layer_info). In GN_SCHEDULE_LEAN sessions a layer whose output is not held as
   floats — a convolution computed in bands, a spike map (or its pool, or flatten) kept as bytes — is
   shown with `output` NULL and `count` 0. With an exit rule, only the samples still running are computed and
   observed, in an order the runtime chooses. Step by step, the calls come step after step; layer by layer, a layer's
   steps come one after another once it has run. With gn_session_observe_input, a run (or stream step)
   first calls it with layer GN_OBSERVED_INPUT and its input. `output` is valid only during the call.
   Called on the thread running the session. */
typedef void (*gn_layer_observer)(void *context, size_t layer, size_t step, const float *output, size_t count);

/* The layer index with which an observer sees a run's input (gn_session_observe_input). */
#define GN_OBSERVED_INPUT ((size_t)-1)

/* Options of a session. Start from gn_session_options_default() (or gn_session_options_init) and
   change what you need.

   The struct is extensible: `size` is the sizeof(gn_session_options) of the header a program was
   compiled with, and the library reads only the fields that size covers. Fields are only ever added
   at the end, keeping a layout without padding, and a field's default is always 0, so a program built against an older header keeps
   working with a newer library, and a program built against a newer header gets UNSUPPORTED from an
   older library only when it sets a field that library does not know (nonzero bytes past its size).
   Sizes above 4096 bytes are refused (INVALID_OPTION).
   Programs built against 0.3, whose struct began with `neuron` and had no `size`, keep working too: a
   first field of 0, 1 or 2 (a gn_neuron_kind, never a valid size) is read with the 0.3 layout. */
typedef struct gn_session_options {
    uint32_t size;             /* sizeof(gn_session_options); set by gn_session_options_init */
    gn_neuron_kind neuron;     /* default GN_NEURON_GROUP */
    uint32_t tau;              /* members per Group Neuron, 1 ... GN_MAX_TAU; default 4 */
    uint32_t time_steps;       /* T >= 1; ANN sessions compute one step whatever T is; default 4 */
    uint32_t batch;            /* the most samples one run may take, >= 1; default 1 */
    uint32_t threads;          /* threads a run uses, 1 ... 64; > 1 starts a persistent pool with the
                                  session (threads - 1 workers, which sleep when idle; on Linux a worker
                                  starts or wakes off the running thread's CPU: its affinity narrowed
                                  until it runs, then whole again); default 1 */
    gn_schedule schedule;      /* default GN_SCHEDULE_LAYER_BY_LAYER */
    /* The widest instruction set the session's kernels may use. GN_ISA_AUTO (default): the widest this
       CPU runs, unless the environment variable GNRUNTIME_ISA names one ("baseline", "avx2",
       "avx512", ...; read when a session is created). A set the CPU cannot run fails with UNSUPPORTED. */
    gn_isa isa;
    /* Optional per-layer tau: layer_tau_count entries, one per qcfs layer in model order, each 0
       (use tau) or 1 ... GN_MAX_TAU. NULL for none. Borrowed: read during gn_session_create only. */
    const uint32_t *layer_tau;
    size_t layer_tau_count;
    /* 1: runs count, per neuron layer, step and sample, the spikes emitted and the synaptic operations
       they cause (gn_session_spike_counts); spiking sessions only. 0 (default): no memory, no work. */
    uint32_t count_spikes;
    /* Early exit (spiking sessions); a rule other than GN_EXIT_NONE makes the session run step by step. */
    gn_exit_rule exit_rule;    /* default GN_EXIT_NONE */
    float exit_margin;         /* GN_EXIT_MARGIN: finite, >= 0; default 0 */
    uint32_t exit_steps;       /* GN_EXIT_STABLE: >= 1; default 1 */
} gn_session_options;

/* What gn_session_neuron_layer reports of one neuron (qcfs) layer of a session that counts spikes. */
typedef struct gn_neuron_layer_info {
    size_t layer;              /* the layer's index in the model */
    size_t neurons;            /* neurons of one sample (C x H x W) */
    uint32_t members;          /* members per neuron: tau for Group Neurons, 1 for IF; a member fires at
                                  most once per step */
    uint64_t synapses;         /* synaptic operations of one sample if each neuron spiked once: the sum of
                                  the neurons' fan-outs (docs/semantics.md, "Operations") */
} gn_neuron_layer_info;

/* The structs of this header whose size a binding may check (gn_struct_size). */
typedef enum gn_struct {
    GN_STRUCT_SHAPE = 1,
    GN_STRUCT_LAYER_INFO = 2,
    GN_STRUCT_SESSION_OPTIONS = 3,
    GN_STRUCT_NEURON_LAYER_INFO = 4
} gn_struct;

/* ---- Library ------------------------------------------------------------------------------------ */

/* The library's version, encoded as GN_VERSION is. Releases with the same major version are
   compatible in ABI (CHANGELOG.md, "Versioning"). Never fails. */
GN_API uint32_t gn_version(void);

/* sizeof the struct `which` in the library's own header, or 0 for a value this library does not know:
   lets a binding that declares the structs itself (ctypes, FFI) check its layouts. Never fails. */
GN_API size_t gn_struct_size(gn_struct which);

/* A static, NUL-terminated name of `status` ("ok", "bad model", ...); "unknown status" for values this
   library does not know. Never NULL; never freed. */
GN_API const char *gn_status_string(gn_status status);

/* The message of the most recent call on this thread that failed: what was wrong, and where.
   "" when no call on this thread has failed. Owned by the library; valid until the next gn_ call on
   this thread. Thread-safe (each thread has its own). */
GN_API const char *gn_last_error(void);

/* The widest instruction set this CPU runs among those the library carries kernels for (what
   GN_ISA_AUTO chooses without GNRUNTIME_ISA). Never fails. */
GN_API gn_isa gn_cpu_isa(void);

/* A static, NUL-terminated name of `isa` ("auto", "baseline", "avx2", "avx512"), as GNRUNTIME_ISA
   spells them; "unknown" for other values. Never NULL; never freed. */
GN_API const char *gn_isa_name(gn_isa isa);

/* ---- Models ------------------------------------------------------------------------------------- */

/* Loads and validates the model file at `path` (NUL-terminated) into memory the model owns.
   `flags`: GN_LOAD_DEFAULT or GN_LOAD_SKIP_CHECKSUM. On success *model_out is a new model; free it with
   gn_model_free. Returns OK, NULL_POINTER, IO_ERROR, BAD_MODEL, UNSUPPORTED, OUT_OF_MEMORY. */
GN_API gn_status gn_model_load_file(const char *path, uint32_t flags, gn_model **model_out);

/* Validates `size` bytes of a model file and copies them into memory the model owns; `bytes` may be
   freed when the call returns. Returns OK, NULL_POINTER, BAD_MODEL, UNSUPPORTED, OUT_OF_MEMORY. */
GN_API gn_status gn_model_load_bytes(const void *bytes, size_t size, uint32_t flags, gn_model **model_out);

/* Validates `size` bytes of a model file and uses them in place, without copying (flash, mmap).
   Borrowed: `bytes` must be GN_ALIGNMENT-aligned, and stay valid and unchanged until the model and
   every session made from it are freed. Returns OK, NULL_POINTER, MISALIGNED, BAD_MODEL, UNSUPPORTED,
   OUT_OF_MEMORY. */
GN_API gn_status gn_model_borrow_bytes(const void *bytes, size_t size, uint32_t flags, gn_model **model_out);

/* Releases the caller's reference to `model`. Sessions made from it keep it alive until they are
   freed, so freeing a model before its sessions is safe. Accepts NULL. */
GN_API void gn_model_free(gn_model *model);

/* The shape of one input sample. Returns OK, NULL_POINTER. */
GN_API gn_status gn_model_input_shape(const gn_model *model, gn_shape *shape_out);

/* The shape of one output sample (the last layer's output). Returns OK, NULL_POINTER. */
GN_API gn_status gn_model_output_shape(const gn_model *model, gn_shape *shape_out);

/* The number of layers. Returns OK, NULL_POINTER. */
GN_API gn_status gn_model_layer_count(const gn_model *model, size_t *count_out);

/* The number of qcfs layers (the length a layer_tau array must have). Returns OK, NULL_POINTER. */
GN_API gn_status gn_model_neuron_layer_count(const gn_model *model, size_t *count_out);

/* Describes layer `index` (0 ... count - 1). Returns OK, NULL_POINTER, OUT_OF_RANGE. */
GN_API gn_status gn_model_layer(const gn_model *model, size_t index, gn_layer_info *info_out);

/* How layer `index`'s weights are stored: GN_WEIGHTS_INT8 or GN_WEIGHTS_FLOAT32 for a conv2d or linear
   layer, GN_WEIGHTS_NONE for any other. Returns OK, NULL_POINTER, OUT_OF_RANGE. */
GN_API gn_status gn_model_layer_weights(const gn_model *model, size_t index, gn_weight_type *type_out);

/* The multiply-accumulates of one sample through every conv2d and linear layer: the ANN's cost,
   counted by connection (window taps on padding excluded). Returns OK, NULL_POINTER. */
GN_API gn_status gn_model_mac_count(const gn_model *model, uint64_t *macs_out);

/* ---- Sessions ----------------------------------------------------------------------------------- */

/* Fills the `size` bytes at `options` with the default options: Group Neurons, tau = 4, T = 4, batch 1,
   1 thread, layer by layer, no per-layer tau, no spike counting, no early exit, the CPU's widest
   kernels; sets options->size to `size` and every byte the library does not know to 0. Pass
   sizeof(gn_session_options). Returns OK, NULL_POINTER, INVALID_OPTION (a size smaller than the
   0.4 struct, or above 4096 bytes). */
GN_API gn_status gn_session_options_init(gn_session_options *options, size_t size);

/* The default options (gn_session_options_init with this header's size), by value. Never fails.
   (The library also exports a function of this name for programs built against 0.3, which returns the
   0.3 layout; programs built against this header use this inline function instead.) */
static inline gn_session_options gn_session_options_default(void) {
    gn_session_options options;
    (void)gn_session_options_init(&options, sizeof options);
    return options;
}

/* The bytes of arena a session of `model` under `options` needs (for gn_session_create_in_arena).
   Returns OK, NULL_POINTER, INVALID_OPTION, UNSUPPORTED. */
GN_API gn_status gn_session_arena_size(const gn_model *model, const gn_session_options *options, size_t *bytes_out);

/* Creates a session whose arena the library allocates (and its worker threads, when options->threads
   > 1). The session keeps `model` alive. Returns OK, NULL_POINTER, INVALID_OPTION, UNSUPPORTED,
   OUT_OF_MEMORY. Free it with gn_session_free. */
GN_API gn_status gn_session_create(gn_model *model, const gn_session_options *options, gn_session **session_out);

/* Creates a session in the caller's `arena` of `arena_size` bytes. Borrowed: `arena` must be
   GN_ALIGNMENT-aligned, at least gn_session_arena_size bytes, and stay valid until gn_session_free;
   the library never frees it. A small handle is still allocated. Returns OK, NULL_POINTER,
   INVALID_OPTION, UNSUPPORTED, MISALIGNED, ARENA_TOO_SMALL, OUT_OF_MEMORY. */
GN_API gn_status gn_session_create_in_arena(gn_model *model, const gn_session_options *options,
                                            void *arena, size_t arena_size, gn_session **session_out);

/* Frees a session (and its arena, unless the caller provided it), and releases its model. Accepts NULL. */
GN_API void gn_session_free(gn_session *session);

/* Runs `samples` samples (1 ... batch) through the network for the session's time steps.
   `input`: samples x C x H x W floats, NCHW, finite; `input_count` must equal that number.
   `output`: receives samples x output-size floats, the mean of the last layer over the steps each
   sample ran (T, unless the exit rule stopped it earlier: gn_session_sample_steps); `output_count`
   must equal that number. Both borrowed for the call only. Allocates nothing. Ends any stream.
   On failure `output` is untouched and the session stays usable. Returns OK, NULL_POINTER,
   SIZE_MISMATCH, INVALID_INPUT. */
GN_API gn_status gn_session_run(gn_session *session, const float *input, size_t input_count, size_t samples,
                                float *output, size_t output_count);

/* The number of steps a run computes: T, or 1 for ANN sessions. Returns OK, NULL_POINTER. */
GN_API gn_status gn_session_step_count(const gn_session *session, size_t *steps_out);

/* The steps taken by the last run (gn_session_step_count's) or by the stream so far.
   Returns OK, NULL_POINTER. */
GN_API gn_status gn_session_steps_taken(const gn_session *session, size_t *steps_out);

/* The running prediction (argmax of the output summed up to that step, first index on ties) after
   every step taken by the last run or the stream so far, as [step][sample]: `count` must equal
   steps taken x samples. Returns OK, NULL_POINTER, NO_RESULT, SIZE_MISMATCH. */
GN_API gn_status gn_session_predictions(const gn_session *session, int32_t *predictions_out, size_t count);

/* The steps each sample of the last run computed: T, or the step after which the exit rule stopped
   it (in a stream, the steps taken). `count` must equal the samples of the run.
   Returns OK, NULL_POINTER, NO_RESULT, SIZE_MISMATCH. */
GN_API gn_status gn_session_sample_steps(const gn_session *session, uint32_t *steps_out, size_t count);

/* The widest instruction set the session's kernels use (chosen when it was created).
   Returns OK, NULL_POINTER. */
GN_API gn_status gn_session_isa(const gn_session *session, gn_isa *isa_out);

/* The kernel that computes layer `layer` (0 ... layer count - 1) in this session: its name
   ("conv2d.tiled8x32", "neuron.gn", ...; static, never freed) and the instruction set it was compiled for.
   A layer that computes nothing (a flatten: a view of its input) reports "none" and GN_ISA_AUTO.
   Returns OK, NULL_POINTER, OUT_OF_RANGE. */
GN_API gn_status gn_session_layer_kernel(const gn_session *session, size_t layer, const char **name_out,
                                         gn_isa *isa_out);

/* ---- Streams: hosts that drive time themselves --------------------------------------------------- */

/* Begins a stream of `samples` samples (1 ... batch): every neuron at rest, no step taken. Needs a
   session that runs step by step (GN_SCHEDULE_STEP_BY_STEP, T = 1, an ANN session, or a
   GN_SCHEDULE_LEAN session whose smallest plan is step by step).
   Returns OK, NULL_POINTER, SIZE_MISMATCH, INVALID_STATE. */
GN_API gn_status gn_session_begin_stream(gn_session *session, size_t samples);

/* Takes the next step of the stream. `input`: this step's samples x C x H x W floats, NCHW, finite.
   `output`: receives this step's output of the last layer (not averaged), samples x output-size
   floats. Fed the same input T times, a stream computes exactly what gn_session_run does: the mean of
   the step outputs, the running predictions and the spike counts. At most T steps per stream; exit
   rules do not apply. Allocates nothing. On failure nothing changes. Returns OK, NULL_POINTER,
   SIZE_MISMATCH, INVALID_INPUT, INVALID_STATE (no stream begun), OUT_OF_RANGE (T steps taken). */
GN_API gn_status gn_session_step(gn_session *session, const float *input, size_t input_count,
                                 float *output, size_t output_count);

/* ---- Spike accounting ---------------------------------------------------------------------------- */

/* The multiply-accumulates of one sample on analog values: the conv2d and linear layers that read the
   model input, or what depends on it through no neuron layer. A run computes them once, since the
   input does not change over time; a stream, at every step. Returns OK, NULL_POINTER. */
GN_API gn_status gn_session_analog_mac_count(const gn_session *session, uint64_t *macs_out);

/* Describes neuron layer `neuron_layer` (0 ... gn_model_neuron_layer_count - 1) of a session created
   with count_spikes. Returns OK, NULL_POINTER, OUT_OF_RANGE, UNSUPPORTED (not counting). */
GN_API gn_status gn_session_neuron_layer(const gn_session *session, size_t neuron_layer, gn_neuron_layer_info *info_out);

/* The spikes each neuron layer emitted (for Group Neurons, the members that fired) and the synaptic
   operations they caused, per step taken by the last run or the stream so far, as
   [step][neuron layer][sample] in both arrays; `count` (of each) must equal steps taken x neuron layers
   x samples. Steps a stopped sample did not compute count 0. Returns OK, NULL_POINTER, NO_RESULT,
   SIZE_MISMATCH, UNSUPPORTED (the session was created without count_spikes). */
GN_API gn_status gn_session_spike_counts(const gn_session *session, uint64_t *spikes_out,
                                         uint64_t *synaptic_operations_out, size_t count);

/* Sets (or, with NULL `observer`, removes) the function called after each layer of every later run,
   for analysis: per-layer activations, spike counts. Layers whose output does not change over time
   are computed at the first step only and observed then. `context` is borrowed: it must stay valid
   while the observer is set. Without an observer a run does no extra work. Returns OK, NULL_POINTER. */
GN_API gn_status gn_session_set_observer(gn_session *session, gn_layer_observer observer, void *context);

/* Whether the observer also sees each later run's input: with `observe` 1, every run and stream step
   calls it once before layer 0 runs, once the input is checked and laid out channels-last, with layer
   GN_OBSERVED_INPUT, the step (0 for a run), and the input of every sample as the layers read it
   ([sample][height][width][channels], `count` floats). The time from the call of the run to that call
   is the run's start; from it to layer 0's call, layer 0's own (for per-layer timing). 0, the default,
   turns it off. Returns OK, NULL_POINTER, INVALID_OPTION (`observe` other than 0 or 1). */
GN_API gn_status gn_session_observe_input(gn_session *session, uint32_t observe);

/* Whether later runs and stream steps time each layer: with `time` 1, each adds up the time every
   layer takes as the session runs it, reading the monotonic clock before and after each layer. Unobserved,
   that is what an observer's timestamps cannot show, since an observer makes every layer run on its own
   over the whole batch: layer by layer at T > 1, a run of many samples takes them in passes (on several
   threads, each its own passes); step by step, or at T = 1, a convolution may compute the neuron layer
   after it in its tasks. With an observer set, layers are timed as it makes them run, its calls left
   out; spike counting is in no layer's time. The session allocates its counters here (a few bytes per
   layer and thread) and frees them with `time` 0, the default, or with the session. Calling it with 1
   again keeps the times of the last run.
   Returns OK, NULL_POINTER, INVALID_OPTION (`time` other than 0 or 1), OUT_OF_MEMORY. */
GN_API gn_status gn_session_time_layers(gn_session *session, uint32_t time);

/* The time layer `layer` (0 ... layer count - 1) took in the last run, or in the stream's steps so far,
   in nanoseconds (gn_session_time_layers). Where several threads took passes of samples at once, their
   times add up, so that the layers' sum can exceed the run's time. A convolution and the neuron layer
   it computes in its tasks share the time they took together as their tasks did (each part timed).
   An add computed in its neuron layer's tasks, and a convolution computed in bands (GN_SCHEDULE_LEAN)
   in its neuron layer's, take 0: their time is counted in that layer's. Writes
   `*nanoseconds_out` only on success. Returns OK, NULL_POINTER, OUT_OF_RANGE, INVALID_STATE (the session
   does not time its layers), NO_RESULT (no run or stream has started since it began to). */
GN_API gn_status gn_session_layer_time(const gn_session *session, size_t layer, uint64_t *nanoseconds_out);

/* The message of the last failed call on `session`, or "" if none failed. Owned by the session; valid
   until the next call on it. NULL session: returns "". */
GN_API const char *gn_session_last_error(const gn_session *session);

#ifdef __cplusplus
}
#endif

#endif /* GNRUNTIME_H */
