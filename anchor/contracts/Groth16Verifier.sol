// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Groth16Verifier
/// @notice Verifies Groth16 proofs over BN254 for one fixed verifying key with exactly seven
///         public inputs (healthzk's statements, SPEC.md §7).
/// @dev The check is the arkworks / snarkjs equation
///          e(A, B) = e(alpha, beta) · e(vk_x, gamma) · e(C, delta),
///          vk_x = IC0 + Σ input[i] · IC[i+1],
///      evaluated as one pairing-product call:
///          e(-A, B) · e(alpha, beta) · e(vk_x, gamma) · e(C, delta) == 1.
///      It uses the EIP-196 / EIP-197 precompiles: ecAdd (0x06), ecMul (0x07) and
///      ecPairing (0x08). The verifying key lives in `immutable` variables (code, not storage).
///
///      Encoding (EVM precompile order):
///      - a G1 point is (x, y);
///      - a G2 point is [x.c1, x.c0, y.c1, y.c0] — the imaginary part of each Fp2 coordinate
///        first, where x = x.c0 + x.c1·u;
///      - the point at infinity is all zeros.
contract Groth16Verifier {
    /// @notice Number of public inputs of the statement.
    uint256 public constant PUBLIC_INPUTS = 7;

    /// @notice BN254 scalar field modulus: every public input must be below it.
    uint256 public constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice BN254 base field modulus: every proof coordinate must be below it.
    uint256 public constant Q =
        21888242871839275222246405745257275088696311157297823662689037894645226208583;

    /// @notice (Q - 1) / 2: a coordinate above it is "negative" in arkworks' point compression.
    uint256 private constant HALF_Q = (Q - 1) / 2;

    /// @notice Identifier of the verifying key: SHA-256 of the key in arkworks' compressed
    ///         serialization, the key id healthzk's presentations carry (SPEC.md §8). The
    ///         constructor derives it from the key; the deployer cannot choose it.
    bytes32 public immutable keyId;

    /// @notice A coordinate of the verifying key is not below Q, a G1 point is not on the
    ///         curve, a G2 point is not on the twist / not in the prime-order subgroup, or
    ///         alpha, beta, gamma or delta is the point at infinity.
    error InvalidVerifyingKey();

    // Verifying key. G2 coordinates are in precompile order (c1 before c0).
    uint256 private immutable ALPHA_X;
    uint256 private immutable ALPHA_Y;

    uint256 private immutable BETA_X1;
    uint256 private immutable BETA_X0;
    uint256 private immutable BETA_Y1;
    uint256 private immutable BETA_Y0;

    uint256 private immutable GAMMA_X1;
    uint256 private immutable GAMMA_X0;
    uint256 private immutable GAMMA_Y1;
    uint256 private immutable GAMMA_Y0;

    uint256 private immutable DELTA_X1;
    uint256 private immutable DELTA_X0;
    uint256 private immutable DELTA_Y1;
    uint256 private immutable DELTA_Y0;

    uint256 private immutable IC0_X;
    uint256 private immutable IC0_Y;
    uint256 private immutable IC1_X;
    uint256 private immutable IC1_Y;
    uint256 private immutable IC2_X;
    uint256 private immutable IC2_Y;
    uint256 private immutable IC3_X;
    uint256 private immutable IC3_Y;
    uint256 private immutable IC4_X;
    uint256 private immutable IC4_Y;
    uint256 private immutable IC5_X;
    uint256 private immutable IC5_Y;
    uint256 private immutable IC6_X;
    uint256 private immutable IC6_Y;
    uint256 private immutable IC7_X;
    uint256 private immutable IC7_Y;

    /// @notice Stores the verifying key after checking it.
    /// @dev Reverts with InvalidVerifyingKey if any coordinate is ≥ Q, if alpha or an IC point
    ///      is not on the curve (checked with ecAdd) or if beta, gamma or delta is not a valid
    ///      G2 point (checked with one ecPairing call, which validates every G2 input). A G2
    ///      point given in the wrong coordinate order is caught here.
    /// @param alpha G1 point alpha: [x, y].
    /// @param beta  G2 point beta:  [x.c1, x.c0, y.c1, y.c0].
    /// @param gamma G2 point gamma: [x.c1, x.c0, y.c1, y.c0].
    /// @param delta G2 point delta: [x.c1, x.c0, y.c1, y.c0].
    /// @param ic    IC0..IC7 as [IC0.x, IC0.y, IC1.x, IC1.y, …, IC7.x, IC7.y].
    constructor(
        uint256[2] memory alpha,
        uint256[4] memory beta,
        uint256[4] memory gamma,
        uint256[4] memory delta,
        uint256[16] memory ic
    ) {
        _checkKey(alpha, beta, gamma, delta, ic);

        keyId = _keyIdOf(alpha, beta, gamma, delta, ic);

        ALPHA_X = alpha[0];
        ALPHA_Y = alpha[1];

        BETA_X1 = beta[0];
        BETA_X0 = beta[1];
        BETA_Y1 = beta[2];
        BETA_Y0 = beta[3];

        GAMMA_X1 = gamma[0];
        GAMMA_X0 = gamma[1];
        GAMMA_Y1 = gamma[2];
        GAMMA_Y0 = gamma[3];

        DELTA_X1 = delta[0];
        DELTA_X0 = delta[1];
        DELTA_Y1 = delta[2];
        DELTA_Y0 = delta[3];

        IC0_X = ic[0];
        IC0_Y = ic[1];
        IC1_X = ic[2];
        IC1_Y = ic[3];
        IC2_X = ic[4];
        IC2_Y = ic[5];
        IC3_X = ic[6];
        IC3_Y = ic[7];
        IC4_X = ic[8];
        IC4_Y = ic[9];
        IC5_X = ic[10];
        IC5_Y = ic[11];
        IC6_X = ic[12];
        IC6_Y = ic[13];
        IC7_X = ic[14];
        IC7_Y = ic[15];
    }

    /// @notice Verifies a Groth16 proof against the stored key and seven public inputs.
    /// @dev Never reverts on bad data: returns false if an input is ≥ R, a proof coordinate is
    ///      ≥ Q, A, B or C is the point at infinity, a precompile call fails (for example a proof point off the curve or outside
    ///      the subgroup) or the pairing product is not 1. A failing precompile consumes the
    ///      gas forwarded to it (63/64 of what is left), as the EVM does for every failed call.
    /// @param proof [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y].
    /// @param input The seven public inputs, in the statement's order.
    /// @return True if and only if the proof is valid for `input`.
    function verifyProof(uint256[8] calldata proof, uint256[7] calldata input)
        external
        view
        returns (bool)
    {
        // 1. Canonical encodings only: inputs are scalars mod R, coordinates elements mod Q.
        for (uint256 i = 0; i < PUBLIC_INPUTS; ++i) {
            if (input[i] >= R) return false;
        }
        for (uint256 i = 0; i < 8; ++i) {
            if (proof[i] >= Q) return false;
        }
        // No proof point is the identity (honest proofs never have one; an identity point
        // would let a crafted key or input make the equation trivially hold).
        if (proof[0] | proof[1] == 0) return false;
        if (proof[2] | proof[3] | proof[4] | proof[5] == 0) return false;
        if (proof[6] | proof[7] == 0) return false;

        // 2. vk_x = IC0 + Σ input[i] · IC[i+1].
        (bool ok, uint256 vkX, uint256 vkY) = _linearCombination(input);
        if (!ok) return false;

        // 3. Pairing product e(-A, B) · e(alpha, beta) · e(vk_x, gamma) · e(C, delta).
        uint256[24] memory p;

        // -A: (x, Q - y); the point at infinity (0, 0) stays (0, 0). proof[1] < Q here.
        p[0] = proof[0];
        p[1] = proof[1] == 0 ? 0 : Q - proof[1];
        p[2] = proof[2];
        p[3] = proof[3];
        p[4] = proof[4];
        p[5] = proof[5];

        p[6] = ALPHA_X;
        p[7] = ALPHA_Y;
        p[8] = BETA_X1;
        p[9] = BETA_X0;
        p[10] = BETA_Y1;
        p[11] = BETA_Y0;

        p[12] = vkX;
        p[13] = vkY;
        p[14] = GAMMA_X1;
        p[15] = GAMMA_X0;
        p[16] = GAMMA_Y1;
        p[17] = GAMMA_Y0;

        p[18] = proof[6];
        p[19] = proof[7];
        p[20] = DELTA_X1;
        p[21] = DELTA_X0;
        p[22] = DELTA_Y1;
        p[23] = DELTA_Y0;

        return _pairingIsOne(p);
    }

    /// @notice The verifying key, in the constructor's encoding.
    /// @return alpha [x, y].
    /// @return beta  [x.c1, x.c0, y.c1, y.c0].
    /// @return gamma [x.c1, x.c0, y.c1, y.c0].
    /// @return delta [x.c1, x.c0, y.c1, y.c0].
    /// @return ic    [IC0.x, IC0.y, …, IC7.x, IC7.y].
    function verifyingKey()
        external
        view
        returns (
            uint256[2] memory alpha,
            uint256[4] memory beta,
            uint256[4] memory gamma,
            uint256[4] memory delta,
            uint256[16] memory ic
        )
    {
        alpha = [ALPHA_X, ALPHA_Y];
        beta = [BETA_X1, BETA_X0, BETA_Y1, BETA_Y0];
        gamma = [GAMMA_X1, GAMMA_X0, GAMMA_Y1, GAMMA_Y0];
        delta = [DELTA_X1, DELTA_X0, DELTA_Y1, DELTA_Y0];
        ic = [
            IC0_X, IC0_Y, IC1_X, IC1_Y, IC2_X, IC2_Y, IC3_X,
            IC3_Y, IC4_X, IC4_Y, IC5_X, IC5_Y, IC6_X, IC6_Y, IC7_X, IC7_Y
        ];
    }

    /// @dev vk_x = IC0 + Σ input[i] · IC[i+1], with seven ecMul and seven ecAdd calls.
    ///      Inputs must already be below R.
    /// @return ok False if any precompile call failed.
    /// @return x vk_x.x
    /// @return y vk_x.y
    function _linearCombination(uint256[7] calldata input)
        private
        view
        returns (bool ok, uint256 x, uint256 y)
    {
        // acc[0..1]: running sum; acc[2..4]: ecMul operand (point, scalar), then its product.
        uint256[5] memory acc;
        acc[0] = IC0_X;
        acc[1] = IC0_Y;
        ok = _mulAdd(acc, IC1_X, IC1_Y, input[0])
            && _mulAdd(acc, IC2_X, IC2_Y, input[1])
            && _mulAdd(acc, IC3_X, IC3_Y, input[2])
            && _mulAdd(acc, IC4_X, IC4_Y, input[3])
            && _mulAdd(acc, IC5_X, IC5_Y, input[4])
            && _mulAdd(acc, IC6_X, IC6_Y, input[5])
            && _mulAdd(acc, IC7_X, IC7_Y, input[6]);
        x = acc[0];
        y = acc[1];
    }

    /// @dev acc[0..1] += s · (px, py).
    ///      Memory: acc = [sumX, sumY, px, py, s]. ecMul reads acc[2..4] and writes the product
    ///      over acc[2..3]; ecAdd then reads acc[0..3] and writes the sum over acc[0..1].
    /// @return ok True if both precompile calls succeeded and returned a point.
    function _mulAdd(uint256[5] memory acc, uint256 px, uint256 py, uint256 s)
        private
        view
        returns (bool ok)
    {
        assembly ("memory-safe") {
            let operand := add(acc, 0x40)
            mstore(operand, px)
            mstore(add(operand, 0x20), py)
            mstore(add(operand, 0x40), s)
            // ecMul: 96 bytes in (x, y, s), 64 bytes out (x, y).
            // (Yul evaluates arguments right to left, so returndatasize() is read in a
            // statement of its own, after the call.)
            ok := staticcall(gas(), 0x07, operand, 0x60, operand, 0x40)
            ok := and(ok, eq(returndatasize(), 0x40))
            if ok {
                // ecAdd: 128 bytes in (x1, y1, x2, y2), 64 bytes out (x, y).
                ok := staticcall(gas(), 0x06, acc, 0x80, acc, 0x40)
                ok := and(ok, eq(returndatasize(), 0x40))
            }
        }
    }

    /// @dev Calls ecPairing on 4 pairs (24 words = 768 bytes).
    ///      Requiring exactly 32 bytes of output rejects a chain where 0x08 is not a precompile
    ///      (a call to an empty account succeeds and returns nothing).
    /// @return isOne True if the call succeeded and the pairing product is 1.
    function _pairingIsOne(uint256[24] memory p) private view returns (bool isOne) {
        assembly ("memory-safe") {
            let ok := staticcall(gas(), 0x08, p, 0x300, p, 0x20)
            isOne := and(and(ok, eq(returndatasize(), 0x20)), eq(mload(p), 1))
        }
    }

    /// @dev Validates the verifying key; see the constructor.
    function _checkKey(
        uint256[2] memory alpha,
        uint256[4] memory beta,
        uint256[4] memory gamma,
        uint256[4] memory delta,
        uint256[16] memory ic
    ) private view {
        // Every coordinate is canonical.
        for (uint256 i = 0; i < 2; ++i) {
            if (alpha[i] >= Q) revert InvalidVerifyingKey();
        }
        for (uint256 i = 0; i < 4; ++i) {
            if (beta[i] >= Q || gamma[i] >= Q || delta[i] >= Q) revert InvalidVerifyingKey();
        }
        for (uint256 i = 0; i < 16; ++i) {
            if (ic[i] >= Q) revert InvalidVerifyingKey();
        }
        // None of alpha, beta, gamma, delta is the point at infinity.
        if (alpha[0] | alpha[1] == 0) revert InvalidVerifyingKey();
        if (beta[0] | beta[1] | beta[2] | beta[3] == 0) revert InvalidVerifyingKey();
        if (gamma[0] | gamma[1] | gamma[2] | gamma[3] == 0) revert InvalidVerifyingKey();
        if (delta[0] | delta[1] | delta[2] | delta[3] == 0) revert InvalidVerifyingKey();

        // G1: ecAdd refuses a point that is not on the curve. Pair them up as
        // (alpha, IC0), (IC1, IC2), (IC3, IC4), (IC5, IC6), (IC7, alpha).
        uint256[4] memory g1;
        g1[0] = alpha[0];
        g1[1] = alpha[1];
        g1[2] = ic[0];
        g1[3] = ic[1];
        if (!_ecAddSucceeds(g1)) revert InvalidVerifyingKey();
        for (uint256 i = 2; i < 14; i += 4) {
            g1[0] = ic[i];
            g1[1] = ic[i + 1];
            g1[2] = ic[i + 2];
            g1[3] = ic[i + 3];
            if (!_ecAddSucceeds(g1)) revert InvalidVerifyingKey();
        }
        g1[0] = ic[14];
        g1[1] = ic[15];
        g1[2] = alpha[0];
        g1[3] = alpha[1];
        if (!_ecAddSucceeds(g1)) revert InvalidVerifyingKey();

        // G2: ecPairing refuses a G2 point off the twist or outside the subgroup. The product
        // e(alpha, beta) · e(alpha, gamma) · e(alpha, delta) itself is not looked at.
        uint256[18] memory p;
        for (uint256 j = 0; j < 3; ++j) {
            uint256[4] memory g2 = j == 0 ? beta : (j == 1 ? gamma : delta);
            p[6 * j] = alpha[0];
            p[6 * j + 1] = alpha[1];
            p[6 * j + 2] = g2[0];
            p[6 * j + 3] = g2[1];
            p[6 * j + 4] = g2[2];
            p[6 * j + 5] = g2[3];
        }
        bool ok;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x08, p, 0x240, p, 0x20)
            ok := and(ok, eq(returndatasize(), 0x20))
        }
        if (!ok) revert InvalidVerifyingKey();
    }

    /// @dev SHA-256 of the key as arkworks' `VerifyingKey::serialize_compressed` writes it:
    ///      alpha (G1), beta, gamma, delta (G2), the IC count as a little-endian u64, IC0..IC7.
    function _keyIdOf(
        uint256[2] memory alpha,
        uint256[4] memory beta,
        uint256[4] memory gamma,
        uint256[4] memory delta,
        uint256[16] memory ic
    ) private pure returns (bytes32) {
        bytes memory b = abi.encodePacked(
            _g1Compressed(alpha[0], alpha[1]), _g2Compressed(beta), _g2Compressed(gamma), _g2Compressed(delta)
        );
        b = abi.encodePacked(b, bytes8(0x0800000000000000));
        for (uint256 i = 0; i < 16; i += 2) {
            b = abi.encodePacked(b, _g1Compressed(ic[i], ic[i + 1]));
        }
        return sha256(b);
    }

    /// @dev A G1 point compressed as arkworks does: x little-endian, with bit 7 of its last
    ///      byte set when y > (Q - 1) / 2, and bit 6 alone for the point at infinity.
    function _g1Compressed(uint256 x, uint256 y) private pure returns (uint256) {
        if (x | y == 0) return 0x40;
        return _le(x) | (y > HALF_Q ? 0x80 : 0);
    }

    /// @dev A G2 point ([x.c1, x.c0, y.c1, y.c0]) compressed as arkworks does: x.c0 then x.c1,
    ///      little-endian, the flag in x.c1's last byte; y is "negative" when y.c1 > (Q - 1) / 2,
    ///      or y.c1 = 0 and y.c0 > (Q - 1) / 2 (arkworks orders Fp2 by c1, then c0).
    function _g2Compressed(uint256[4] memory p) private pure returns (bytes memory) {
        if (p[0] | p[1] | p[2] | p[3] == 0) return abi.encodePacked(uint256(0), uint256(0x40));
        bool negative = p[2] != 0 ? p[2] > HALF_Q : p[3] > HALF_Q;
        return abi.encodePacked(_le(p[1]), _le(p[0]) | (negative ? 0x80 : 0));
    }

    /// @dev The 32 bytes of `v` in reverse order.
    function _le(uint256 v) private pure returns (uint256) {
        v = ((v & 0xFF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00) >> 8)
            | ((v & 0x00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF) << 8);
        v = ((v & 0xFFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000) >> 16)
            | ((v & 0x0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF) << 16);
        v = ((v & 0xFFFFFFFF00000000FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF00000000) >> 32)
            | ((v & 0x00000000FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF) << 32);
        v = ((v & 0xFFFFFFFFFFFFFFFF0000000000000000FFFFFFFFFFFFFFFF0000000000000000) >> 64)
            | ((v & 0x0000000000000000FFFFFFFFFFFFFFFF0000000000000000FFFFFFFFFFFFFFFF) << 64);
        return (v >> 128) | (v << 128);
    }

    /// @dev True if ecAdd accepts the two points [x1, y1, x2, y2].
    function _ecAddSucceeds(uint256[4] memory points) private view returns (bool ok) {
        uint256[2] memory out;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x06, points, 0x80, out, 0x40)
            ok := and(ok, eq(returndatasize(), 0x40))
        }
    }
}
