// gantry's MPI collectives: a Node-API addon over Debian's Open MPI, for data-parallel training launched by mpirun.
// Every call is synchronous and works in place on caller-owned memory (views of the wasm heap work): allreduce
// (sum), broadcast, barrier, abort. One communicator, MPI_COMM_WORLD; errors are fatal (a dead peer ends the job).
#include <dlfcn.h>
#include <mpi.h>
#include <node_api.h>

#include <cstdint>
#include <string>

namespace {

napi_value throw_error(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, message.c_str());
  return nullptr;
}

napi_value number(napi_env env, double value) {
  napi_value out;
  napi_create_double(env, value, &out);
  return out;
}

bool initialized() {
  int flag = 0;
  MPI_Initialized(&flag);
  int finalized = 0;
  MPI_Finalized(&finalized);
  return flag && !finalized;
}

// A typed array's memory and MPI type: float32, float64 or uint8.
struct Buffer {
  void* data = nullptr;
  int count = 0;
  MPI_Datatype type = MPI_FLOAT;
};

bool buffer_of(napi_env env, napi_value value, Buffer* out) {
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  if (!is_typed) return false;
  napi_typedarray_type type;
  size_t length = 0;
  if (napi_get_typedarray_info(env, value, &type, &length, &out->data, nullptr, nullptr) != napi_ok) return false;
  if (length > static_cast<size_t>(INT32_MAX)) return false;
  out->count = static_cast<int>(length);
  switch (type) {
    case napi_float32_array: out->type = MPI_FLOAT; return true;
    case napi_float64_array: out->type = MPI_DOUBLE; return true;
    case napi_uint8_array: out->type = MPI_UNSIGNED_CHAR; return true;
    default: return false;
  }
}

// init() -> [rank, size]. Promotes libmpi to global symbol visibility first: Node loads addons with RTLD_LOCAL,
// and Open MPI's plugins (loaded by MPI_Init) need libmpi's symbols.
napi_value Init(napi_env env, napi_callback_info) {
  if (!initialized()) {
    dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SINGLE, &provided) != MPI_SUCCESS) return throw_error(env, "MPI_Init failed");
  }
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  napi_value out;
  napi_create_array_with_length(env, 2, &out);
  napi_set_element(env, out, 0, number(env, rank));
  napi_set_element(env, out, 1, number(env, size));
  return out;
}

napi_value Finalize(napi_env, napi_callback_info) {
  if (initialized()) MPI_Finalize();
  return nullptr;
}

// allreduce(view): the sum over all processes, in place.
napi_value Allreduce(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Buffer b;
  if (argc != 1 || !buffer_of(env, argv[0], &b) || b.type == MPI_UNSIGNED_CHAR)
    return throw_error(env, "allreduce: expected a Float32Array or Float64Array");
  if (!initialized()) return throw_error(env, "allreduce: MPI is not initialised");
  MPI_Allreduce(MPI_IN_PLACE, b.data, b.count, b.type, MPI_SUM, MPI_COMM_WORLD);
  return nullptr;
}

// broadcast(view, root): root's values into every process's view, in place.
napi_value Broadcast(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Buffer b;
  int32_t root = 0;
  if (argc != 2 || !buffer_of(env, argv[0], &b) || napi_get_value_int32(env, argv[1], &root) != napi_ok)
    return throw_error(env, "broadcast: expected a typed array and a root rank");
  if (!initialized()) return throw_error(env, "broadcast: MPI is not initialised");
  MPI_Bcast(b.data, b.count, b.type, root, MPI_COMM_WORLD);
  return nullptr;
}

napi_value Barrier(napi_env env, napi_callback_info) {
  if (!initialized()) return throw_error(env, "barrier: MPI is not initialised");
  MPI_Barrier(MPI_COMM_WORLD);
  return nullptr;
}

// abort(code): ends every process of the job (mpirun reports it).
napi_value Abort(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t code = 1;
  if (argc == 1) napi_get_value_int32(env, argv[0], &code);
  if (initialized()) MPI_Abort(MPI_COMM_WORLD, code);
  return nullptr;
}

napi_value Version(napi_env env, napi_callback_info) {
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string text(version, length);
  const size_t end = text.find_first_of(",\n");
  if (end != std::string::npos) text.resize(end);
  napi_value out;
  napi_create_string_utf8(env, text.c_str(), text.size(), &out);
  return out;
}

napi_value Module(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"init", nullptr, Init, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"finalize", nullptr, Finalize, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"allreduce", nullptr, Allreduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"broadcast", nullptr, Broadcast, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"barrier", nullptr, Barrier, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"abort", nullptr, Abort, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Module)
