//! Scenario files, protocol adapters and the run driver.
