# The N-API addon needs Node's headers and node-addon-api; GPU machines have neither and skip it.
# COHORT_WITH_ADDON: AUTO (default, on when both are found), ON (fail without them), OFF.
# Node headers: COHORT_NODE_INCLUDE_DIR (cache or environment), else <prefix of `node`>/include/node;
# never downloaded. node-addon-api: COHORT_NODE_ADDON_API_DIR, else native/node_modules/node-addon-api.
# Sets COHORT_ADDON, COHORT_NODE_INCLUDE_DIR and COHORT_NODE_ADDON_API_DIR.
set(COHORT_WITH_ADDON AUTO CACHE STRING "Build the N-API addon: AUTO, ON or OFF")
set_property(CACHE COHORT_WITH_ADDON PROPERTY STRINGS AUTO ON OFF)

set(COHORT_ADDON OFF)
if(NOT COHORT_WITH_ADDON STREQUAL "OFF")
  if(NOT COHORT_NODE_INCLUDE_DIR AND DEFINED ENV{COHORT_NODE_INCLUDE_DIR})
    set(COHORT_NODE_INCLUDE_DIR "$ENV{COHORT_NODE_INCLUDE_DIR}")
  endif()
  if(NOT COHORT_NODE_INCLUDE_DIR)
    find_program(COHORT_NODE_EXECUTABLE node)
    if(COHORT_NODE_EXECUTABLE)
      execute_process(
        COMMAND "${COHORT_NODE_EXECUTABLE}" -p
                "require('path').resolve(process.execPath, '..', '..', 'include', 'node')"
        OUTPUT_VARIABLE _cohort_node_include OUTPUT_STRIP_TRAILING_WHITESPACE
        RESULT_VARIABLE _cohort_node_rc)
      if(_cohort_node_rc EQUAL 0)
        set(COHORT_NODE_INCLUDE_DIR "${_cohort_node_include}")
      endif()
    endif()
  endif()
  if(NOT COHORT_NODE_ADDON_API_DIR)
    set(COHORT_NODE_ADDON_API_DIR "${CMAKE_CURRENT_SOURCE_DIR}/node_modules/node-addon-api")
  endif()

  if(EXISTS "${COHORT_NODE_INCLUDE_DIR}/node_api.h" AND EXISTS "${COHORT_NODE_ADDON_API_DIR}/napi.h")
    set(COHORT_ADDON ON)
    message(STATUS "cohort: N-API addon on (Node headers ${COHORT_NODE_INCLUDE_DIR})")
  elseif(COHORT_WITH_ADDON STREQUAL "ON")
    message(FATAL_ERROR "COHORT_WITH_ADDON=ON but node_api.h is not in '${COHORT_NODE_INCLUDE_DIR}' or napi.h "
                        "is not in '${COHORT_NODE_ADDON_API_DIR}': set COHORT_NODE_INCLUDE_DIR / "
                        "COHORT_NODE_ADDON_API_DIR, or run pnpm install for node-addon-api.")
  else()
    message(STATUS "cohort: Node headers or node-addon-api not found; building without the N-API addon")
  endif()
endif()
