// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice The part of AnchorRegistry that EligibilityGate reads.
interface IAnchorRegistry {
    /// @notice True if `issuer` is accredited, anchored `root`, and `root` is not revoked.
    function isRootAccepted(address issuer, uint256 root) external view returns (bool);
    /// @notice True if `root` is `issuer`'s current revocation root or was superseded less than
    ///         `maxAge` seconds ago, and `issuer` is accredited.
    function isRevocationRootFresh(address issuer, uint256 root, uint256 maxAge) external view returns (bool);
}

/// @notice The Groth16Verifier entry point.
interface IGroth16Verifier {
    /// @notice True if and only if `proof` is valid for the seven public `input`s.
    function verifyProof(uint256[8] calldata proof, uint256[7] calldata input)
        external
        view
        returns (bool);
}

/// @title EligibilityGate
/// @notice Example consumer: admits an account that proves, with a healthzk credential-query
///         proof (SPEC.md §7), that a credential from one issuer satisfies one policy.
/// @dev The seven public inputs are, in order:
///        [issuer_root, policy_hash, as_of, challenge, scope, nullifier, revocation_root]
///      - issuer_root: must be accepted by the registry for the gate's issuer;
///      - revocation_root: the issuer's current revocation root, or one superseded less than
///        revocationGraceSeconds ago (the credential is proven absent from it);
///      - policy_hash and scope: fixed at deployment;
///      - as_of (a day number, days since 1970-01-01 UTC): today or at most maxAgeDays ago;
///      - challenge: `challengeFor(msg.sender)`, which binds the proof to the caller, the chain
///        and this gate, so a proof seen in the mempool is useless to anyone else;
///      - nullifier: one admission per holder and scope; it is recorded as used.
contract EligibilityGate {
    /// @dev BN254 scalar field modulus.
    uint256 private constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice Registry that decides which issuer roots are accepted.
    IAnchorRegistry public immutable registry;
    /// @notice Verifier holding the credential-query verifying key.
    IGroth16Verifier public immutable verifier;
    /// @notice The only issuer whose roots this gate accepts.
    address public immutable issuer;
    /// @notice The policy every proof must be about.
    uint256 public immutable policyHash;
    /// @notice This gate's scope (SPEC.md §3): nullifiers are per scope.
    uint256 public immutable scope;
    /// @notice How many days old a proof's as_of may be.
    uint32 public immutable maxAgeDays;
    /// @notice How long after the issuer superseded a revocation root proofs against it are
    ///         still admitted, in seconds (0: only the current root).
    uint32 public immutable revocationGraceSeconds;

    /// @notice Nullifiers already admitted.
    mapping(uint256 => bool) public nullifierUsed;
    /// @notice Accounts admitted.
    mapping(address => bool) public admitted;

    /// @notice `holder` was admitted with `nullifier`, on a proof about day `asOf`.
    event Admitted(address indexed holder, uint256 indexed nullifier, uint256 asOf);

    /// @notice A constructor address argument is zero.
    error ZeroAddress();
    /// @notice A constructor field argument is not below R.
    error NotCanonical(uint256 value);
    /// @notice `asOf` is after `today` or more than maxAgeDays before it.
    error StaleAsOf(uint256 asOf, uint256 today);
    /// @notice The registry does not accept `issuerRoot` for this gate's issuer.
    error RootNotAccepted(uint256 issuerRoot);
    /// @notice `revocationRoot` is not the issuer's current revocation root (nor recent enough).
    error StaleRevocationRoot(uint256 revocationRoot);
    /// @notice `nullifier` was already admitted.
    error NullifierUsed(uint256 nullifier);
    /// @notice The verifier refused the proof.
    error InvalidProof();

    /// @param registry_ AnchorRegistry address.
    /// @param verifier_ Groth16Verifier address (credential-query key).
    /// @param issuer_ Issuer whose anchored roots are accepted.
    /// @param policyHash_ Policy hash (< R).
    /// @param scope_ Scope (< R).
    /// @param maxAgeDays_ Largest accepted age of as_of, in days.
    /// @param revocationGraceSeconds_ See `revocationGraceSeconds`.
    constructor(
        address registry_,
        address verifier_,
        address issuer_,
        uint256 policyHash_,
        uint256 scope_,
        uint32 maxAgeDays_,
        uint32 revocationGraceSeconds_
    ) {
        if (registry_ == address(0) || verifier_ == address(0) || issuer_ == address(0)) {
            revert ZeroAddress();
        }
        if (policyHash_ >= R) revert NotCanonical(policyHash_);
        if (scope_ >= R) revert NotCanonical(scope_);
        registry = IAnchorRegistry(registry_);
        verifier = IGroth16Verifier(verifier_);
        issuer = issuer_;
        policyHash = policyHash_;
        scope = scope_;
        maxAgeDays = maxAgeDays_;
        revocationGraceSeconds = revocationGraceSeconds_;
    }

    /// @notice The challenge public input a proof from `holder` must carry:
    ///         keccak256(abi.encode(block.chainid, address(this), holder)) >> 8.
    /// @dev 248 bits, hence below R.
    function challengeFor(address holder) public view returns (uint256) {
        return uint256(keccak256(abi.encode(block.chainid, address(this), holder))) >> 8;
    }

    /// @notice Admits the caller on a credential-query proof.
    /// @param proof [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y].
    /// @param issuerRoot The issuer root the proof is about.
    /// @param asOf The day the proof speaks of (days since 1970-01-01 UTC).
    /// @param nullifier The holder's nullifier for this gate's scope.
    /// @param revocationRoot The issuer revocation root the proof is about.
    function enter(
        uint256[8] calldata proof,
        uint256 issuerRoot,
        uint256 asOf,
        uint256 nullifier,
        uint256 revocationRoot
    ) external {
        uint256 today = block.timestamp / 1 days;
        if (asOf > today || today - asOf > maxAgeDays) revert StaleAsOf(asOf, today);
        if (!registry.isRootAccepted(issuer, issuerRoot)) revert RootNotAccepted(issuerRoot);
        if (!registry.isRevocationRootFresh(issuer, revocationRoot, revocationGraceSeconds)) {
            revert StaleRevocationRoot(revocationRoot);
        }
        if (nullifierUsed[nullifier]) revert NullifierUsed(nullifier);

        uint256[7] memory input =
            [issuerRoot, policyHash, asOf, challengeFor(msg.sender), scope, nullifier, revocationRoot];
        if (!verifier.verifyProof(proof, input)) revert InvalidProof();

        // Both external calls above are view functions (STATICCALL): no reentrancy.
        nullifierUsed[nullifier] = true;
        admitted[msg.sender] = true;
        emit Admitted(msg.sender, nullifier, asOf);
    }
}
