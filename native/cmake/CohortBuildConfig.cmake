# What this build was configured with, for the engine (generated/cohort/build_config.h, compiled into
# build_info()) and for tests on the TS side (build-config.json next to the addon), which check that the
# addon reports the libtorch and nvcc that CMake found.
if(COHORT_CUDA_KERNELS)
  set(COHORT_CUDA_KERNELS_JSON true)
  set(COHORT_CUDA_COMPILER_VERSION "${CMAKE_CUDA_COMPILER_VERSION}")
  set(COHORT_CUDA_COMPILER_VERSION_JSON "\"${CMAKE_CUDA_COMPILER_VERSION}\"")
else()
  set(COHORT_CUDA_KERNELS_JSON false)
  set(COHORT_CUDA_COMPILER_VERSION "")
  set(COHORT_CUDA_COMPILER_VERSION_JSON null)
endif()
configure_file("${CMAKE_CURRENT_LIST_DIR}/build_config.h.in"
               "${CMAKE_CURRENT_BINARY_DIR}/generated/cohort/build_config.h" @ONLY)
configure_file("${CMAKE_CURRENT_LIST_DIR}/build-config.json.in"
               "${CMAKE_CURRENT_BINARY_DIR}/build-config.json" @ONLY)
