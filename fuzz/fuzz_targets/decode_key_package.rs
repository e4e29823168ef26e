#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| keypackage_core::fuzz::decode_key_package(data));
