/** cohort's release version, reported by every binary (`cohort_build_info`, GetInfo, `--version`). */
export const COHORT_VERSION = '0.1.0';
