# CUDA kernels: compiled whenever nvcc is usable, so every CI run at least compiles them (no GPU needed).
# COHORT_WITH_CUDA: AUTO (default, on when a CUDA compiler is found), ON (fail without one), OFF.
# Sets COHORT_CUDA_KERNELS and, when on, the static library `cohort_kernels` (src/kernels/*.cu: plain
# device pointers, no libtorch, so nvcc never sees libtorch's headers or flags).
set(COHORT_WITH_CUDA AUTO CACHE STRING "Compile the CUDA kernels: AUTO, ON or OFF")
set_property(CACHE COHORT_WITH_CUDA PROPERTY STRINGS AUTO ON OFF)

set(COHORT_CUDA_KERNELS OFF)
if(NOT COHORT_WITH_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(COHORT_CUDA_KERNELS ON)
  elseif(COHORT_WITH_CUDA STREQUAL "ON")
    message(FATAL_ERROR "COHORT_WITH_CUDA=ON but no CUDA compiler was found: put nvcc on PATH or set "
                        "CMAKE_CUDA_COMPILER (e.g. /usr/local/cuda/bin/nvcc).")
  else()
    message(STATUS "cohort: no CUDA compiler found; building without CUDA kernels")
  endif()
endif()

if(COHORT_CUDA_KERNELS)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES "80;90")  # A100, H100/H200
  endif()
  # Kept in our own variable: a CUDA libtorch 2.x sets CMAKE_CUDA_ARCHITECTURES to OFF when found.
  set(COHORT_CUDA_ARCHITECTURES "${CMAKE_CUDA_ARCHITECTURES}")
  # Shared cudart for every target, as a CUDA libtorch 2.x links it (CUDA::cudart of the same toolkit): one
  # CUDA runtime per process. A static copy inside the addon could capture libtorch's cudart calls (same
  # symbol names) and mix two runtime versions.
  set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)

  file(GLOB COHORT_KERNEL_SOURCES CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/src/kernels/*.cu")
  add_library(cohort_kernels STATIC ${COHORT_KERNEL_SOURCES})
  set_target_properties(cohort_kernels PROPERTIES
    CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON
    CUDA_ARCHITECTURES "${COHORT_CUDA_ARCHITECTURES}")
  target_include_directories(cohort_kernels PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/src")
  target_link_libraries(cohort_kernels PUBLIC CUDA::cudart)
  target_compile_definitions(cohort_kernels PUBLIC COHORT_HAVE_CUDA_KERNELS=1)
  target_compile_options(cohort_kernels PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>)
  message(STATUS "cohort: CUDA kernels on (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, archs ${COHORT_CUDA_ARCHITECTURES})")
else()
  set(COHORT_CUDA_ARCHITECTURES "")
endif()
