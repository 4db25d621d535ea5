// The engine's version; equals native/package.json's version (checked by the TS tests).
#pragma once

#define COHORT_ENGINE_VERSION "0.1.0"

namespace cohort {

inline constexpr const char* kEngineVersion = COHORT_ENGINE_VERSION;

}  // namespace cohort
