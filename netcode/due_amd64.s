//go:build !purego

#include "textflag.h"

// func aboveMask(p *float32, n int, now float32) uint64
//
// Four floats a step: CMPPS compares them with now in every lane, and MOVMSKPS packs the four
// results into the low bits of a register, shifted into place in the mask.
TEXT ·aboveMask(SB), NOSPLIT, $0-32
	MOVQ     p+0(FP), SI
	MOVQ     n+8(FP), DI
	MOVSS    now+16(FP), X0
	SHUFPS   $0, X0, X0 // now in every lane
	XORQ     AX, AX     // the mask
	XORQ     CX, CX     // k, the float at hand; also the shift (CL)
loop:
	CMPQ     CX, DI
	JAE      done
	MOVUPS   (SI)(CX*4), X1
	MOVAPS   X0, X2
	CMPPS    X1, X2, $1 // X2[i] = now < p[k+i]: false for NaN
	MOVMSKPS X2, BX
	SHLQ     CX, BX
	ORQ      BX, AX
	ADDQ     $4, CX
	JMP      loop
done:
	MOVQ     AX, ret+24(FP)
	RET
