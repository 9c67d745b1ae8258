//! Tests of the lifecycle warnings.
