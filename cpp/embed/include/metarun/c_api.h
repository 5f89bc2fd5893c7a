/* metarun's C API: load a TensorFlow 1.x `.meta` graph and its checkpoint, run it, train it and
 * save checkpoints TensorFlow restores, from C, C++ or any language that can call C.
 *
 * The API is a thin layer over the Python package's own import, session and saver code (one
 * implementation for both languages). The library starts an embedded CPython interpreter on its
 * first call (or uses the one already running in the process) and never finalizes it.
 *
 * Conventions:
 * - Functions that can fail take an MR_Status* last; on failure its code is set to one of
 *   TensorFlow's error codes (MR_Code) and its message says why. On success the code is MR_OK.
 *   Functions that return a handle return NULL on failure.
 * - Names are TensorFlow's: a tensor is "op_name:index" ("op_name" alone means index 0, as in
 *   TensorFlow's C++ Session::Run); a target is an operation name.
 * - Every handle returned is owned by the caller and freed with its MR_Delete* function
 *   (which takes NULL). A NULL model is MR_INVALID_ARGUMENT.
 *
 * Thread safety:
 * - An MR_Model may be used from any number of threads at once: MR_Run, MR_Restore, MR_Save and
 *   MR_InitializeVariables, with TensorFlow's variable semantics (a train op updates variables in
 *   place; concurrent runs see each other's updates as in TensorFlow). Runs execute in parallel:
 *   the interpreter's lock is released while the graph runs. MR_DeleteModel must not overlap any
 *   other call on that model.
 * - An MR_Tensor may be read from several threads at once; it is deleted once, by one thread.
 *   Writing into MR_TensorData of a tensor while a run reads it is a data race.
 * - An MR_Status belongs to one thread at a time. MR_ModelOptions likewise.
 */
#ifndef METARUN_C_API_H_
#define METARUN_C_API_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define MR_EXPORT __declspec(dllexport)
#else
#define MR_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* TensorFlow's status codes (tensorflow/core/protobuf/error_codes.proto numbering). */
typedef enum MR_Code {
  MR_OK = 0,
  MR_CANCELLED = 1,
  MR_UNKNOWN = 2,
  MR_INVALID_ARGUMENT = 3,
  MR_DEADLINE_EXCEEDED = 4,
  MR_NOT_FOUND = 5,
  MR_ALREADY_EXISTS = 6,
  MR_PERMISSION_DENIED = 7,
  MR_RESOURCE_EXHAUSTED = 8,
  MR_FAILED_PRECONDITION = 9,
  MR_ABORTED = 10,
  MR_OUT_OF_RANGE = 11,
  MR_UNIMPLEMENTED = 12,
  MR_INTERNAL = 13,
  MR_UNAVAILABLE = 14,
  MR_DATA_LOSS = 15,
  MR_UNAUTHENTICATED = 16
} MR_Code;

/* TensorFlow's DataType numbering (types.proto). */
typedef enum MR_DataType {
  MR_FLOAT = 1,
  MR_DOUBLE = 2,
  MR_INT32 = 3,
  MR_UINT8 = 4,
  MR_INT16 = 5,
  MR_INT8 = 6,
  MR_STRING = 7,
  MR_COMPLEX64 = 8,
  MR_INT64 = 9,
  MR_BOOL = 10,
  MR_BFLOAT16 = 14,
  MR_UINT16 = 17,
  MR_COMPLEX128 = 18,
  MR_HALF = 19,
  MR_UINT32 = 22,
  MR_UINT64 = 23
} MR_DataType;

typedef struct MR_Status MR_Status;
typedef struct MR_Tensor MR_Tensor;
typedef struct MR_Model MR_Model;
typedef struct MR_ModelOptions MR_ModelOptions;

/* The library's version ("0.1.0"), and the TensorFlow version whose behaviour it follows. */
MR_EXPORT const char* MR_Version(void);
MR_EXPORT const char* MR_TensorFlowVersion(void);

/* ---- Status ---- */
MR_EXPORT MR_Status* MR_NewStatus(void);
MR_EXPORT void MR_DeleteStatus(MR_Status* status);
MR_EXPORT MR_Code MR_GetCode(const MR_Status* status);
/* The error message ("" when MR_OK); valid until the status is next used or deleted. */
MR_EXPORT const char* MR_Message(const MR_Status* status);

/* ---- Tensors ---- */
/* The size in bytes of one element of `dtype`; 0 for MR_STRING and unknown types. */
MR_EXPORT size_t MR_DataTypeSize(MR_DataType dtype);

/* A tensor whose memory the library allocates (zeroed); write the values into MR_TensorData. */
MR_EXPORT MR_Tensor* MR_AllocateTensor(MR_DataType dtype, const int64_t* dims, int num_dims,
                                       MR_Status* status);
/* A tensor over the caller's memory, without a copy. `len` must be the element count times the
 * element size, and `data` aligned to the element size. The library calls
 * `deallocator(data, len, arg)` (when not NULL) once nothing uses the memory any more: that can
 * be after MR_DeleteTensor, when a run kept the value (a variable assigned from a feed). On
 * failure the deallocator is not called. */
MR_EXPORT MR_Tensor* MR_NewTensor(MR_DataType dtype, const int64_t* dims, int num_dims, void* data,
                                  size_t len, void (*deallocator)(void* data, size_t len, void* arg),
                                  void* arg, MR_Status* status);
/* A string tensor: element i is the bytes strings[i][0 .. lengths[i]) (copied), row-major. */
MR_EXPORT MR_Tensor* MR_NewStringTensor(const int64_t* dims, int num_dims, const char* const* strings,
                                        const size_t* lengths, MR_Status* status);
MR_EXPORT void MR_DeleteTensor(MR_Tensor* tensor);

/* The accessors below take NULL: type 0, -1 dims/elements, NULL data, 0 bytes. */
MR_EXPORT MR_DataType MR_TensorType(const MR_Tensor* tensor);
MR_EXPORT int MR_NumDims(const MR_Tensor* tensor);
MR_EXPORT int64_t MR_Dim(const MR_Tensor* tensor, int dim_index);
MR_EXPORT int64_t MR_TensorElementCount(const MR_Tensor* tensor);
/* Row-major element memory: the run's own buffer for outputs (no copy), valid until
 * MR_DeleteTensor. NULL for string tensors. */
MR_EXPORT void* MR_TensorData(const MR_Tensor* tensor);
MR_EXPORT size_t MR_TensorByteSize(const MR_Tensor* tensor);
/* Element `index` (row-major) of a string tensor, its length in *length; NULL (and *length 0)
 * when the tensor is not a string tensor or the index is out of range. The bytes are not
 * NUL-terminated necessarily; they stay valid until MR_DeleteTensor. */
MR_EXPORT const char* MR_TensorString(const MR_Tensor* tensor, int64_t index, size_t* length);

/* ---- Models: a graph, its session and its saver ---- */
MR_EXPORT MR_ModelOptions* MR_NewModelOptions(void);
MR_EXPORT void MR_DeleteModelOptions(MR_ModelOptions* options);
/* Confine file access of the model's runs, restores and saves (graphs are untrusted input): when
 * any directory is given, ops may read only under the `read` and `write` directories and write
 * only under the `write` ones. Without any, runs may touch any file, as in TensorFlow. */
MR_EXPORT void MR_ModelOptionsAllowRead(MR_ModelOptions* options, const char* directory);
MR_EXPORT void MR_ModelOptionsAllowWrite(MR_ModelOptions* options, const char* directory);
/* The tensor bytes a run may hold at once (0: no limit). */
MR_EXPORT void MR_ModelOptionsSetMaxMemory(MR_ModelOptions* options, int64_t bytes);
/* Intra-op threads (0: every core, or METARUN_NUM_THREADS). */
MR_EXPORT void MR_ModelOptionsSetNumThreads(MR_ModelOptions* options, int num_threads);

/* import_meta_graph: reads a MetaGraphDef, binary or text (".meta", ".pbtxt"), into a new graph
 * with a session on it; the saver is the one the file describes. `options` may be NULL. */
MR_EXPORT MR_Model* MR_LoadMetaGraph(const char* meta_path, const MR_ModelOptions* options,
                                     MR_Status* status);
/* tf.saved_model.loader.load: the MetaGraphDef tagged with all of `tags` (e.g. {"serve"}) from
 * the SavedModel in `export_dir`, its variables restored and its init op run. */
MR_EXPORT MR_Model* MR_LoadSavedModel(const char* export_dir, const char* const* tags, int num_tags,
                                      const MR_ModelOptions* options, MR_Status* status);
MR_EXPORT void MR_DeleteModel(MR_Model* model);
/* The tensor name ("x:0") behind input or output `key` (output != 0) of a SavedModel model's
 * signature `signature_key` ("serving_default"), for MR_Run. A string the caller frees with
 * MR_Free; NULL with MR_NOT_FOUND when there is no such signature or key. */
MR_EXPORT char* MR_SignatureTensorName(MR_Model* model, const char* signature_key, const char* key,
                                       int output, MR_Status* status);

/* Saver.restore: the variables from a checkpoint prefix ("dir/model.ckpt-1000"; V1 or V2) or a
 * directory holding a `checkpoint` file (its latest checkpoint). */
MR_EXPORT void MR_Restore(MR_Model* model, const char* checkpoint, MR_Status* status);
/* Saver.save: writes a checkpoint in the graph's saver's format (V2 for graphs without one) to
 * `prefix`, with "-<global_step>" appended when global_step >= 0, and updates the directory's
 * `checkpoint` file. Returns the prefix written, a NUL-terminated string the caller frees with
 * MR_Free; NULL on failure. */
MR_EXPORT char* MR_Save(MR_Model* model, const char* prefix, int64_t global_step, MR_Status* status);
MR_EXPORT void MR_Free(void* pointer);
/* Runs the initializers of the graph's global variables (training from scratch). */
MR_EXPORT void MR_InitializeVariables(MR_Model* model, MR_Status* status);

/* Session.run: feeds `feed_names[i]` with `feed_values[i]`, computes the `fetch_names` into
 * `fetch_values` (new tensors the caller deletes; left NULL on failure) and runs the
 * `target_names` operations (a train op). Feeds are not copied when their memory can be used
 * as is. */
MR_EXPORT void MR_Run(MR_Model* model, const char* const* feed_names, MR_Tensor* const* feed_values,
                      int num_feeds, const char* const* fetch_names, MR_Tensor** fetch_values,
                      int num_fetches, const char* const* target_names, int num_targets,
                      MR_Status* status);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* METARUN_C_API_H_ */
