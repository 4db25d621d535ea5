# libtorch: Debian's libtorch-dev (1.13, CPU) on laptops and CI; PyTorch 2.x's bundled libtorch on GPU
# machines via -DCMAKE_PREFIX_PATH=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)').
# Defines the imported target `torch` and COHORT_TORCH_VERSION.
find_package(Torch QUIET)
if(NOT Torch_FOUND)
  message(FATAL_ERROR
    "cohort: libtorch not found. On Debian/Ubuntu: sudo apt-get install libtorch-dev libopenblas0-pthread. "
    "With PyTorch installed instead: -DCMAKE_PREFIX_PATH=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')")
endif()
set(COHORT_TORCH_VERSION "${Torch_VERSION}")
message(STATUS "cohort: libtorch ${COHORT_TORCH_VERSION} (${Torch_DIR})")
