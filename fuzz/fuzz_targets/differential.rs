#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| interop_tests::differential::check(data));
