# One warning policy for every C++ target of ours (libtorch's headers come in as system headers).
function(cohort_warnings target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic>)
endfunction()
