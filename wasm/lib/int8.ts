// 8-bit reads shared by the integer kernels.

// @ts-ignore: decorator
@inline export function rd(p: usize, signed: i32): i32 { return signed ? <i32>load<i8>(p) : <i32>load<u8>(p); }
