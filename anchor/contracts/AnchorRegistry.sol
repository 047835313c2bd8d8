// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title AnchorRegistry
/// @notice Public registry of the Poseidon Merkle roots that accredited issuers (hospitals)
///         anchor for their credential trees and revocation lists, and of the score-model
///         hashes that accredited model publishers register.
/// @dev A verifier accepts a proof's `issuer_root` only while `isRootAccepted(issuer, root)`:
///      the issuer is still accredited, it anchored the root, and the root was not revoked.
///      A proof's `revocation_root` is accepted only while
///      `isRevocationRootFresh(issuer, root, maxAge)`: the issuer's current revocation root,
///      or one it superseded less than `maxAge` seconds ago (the verifier's tolerance for holders
///      that have not fetched the newest list yet; 0 for none).
///      A model hash is accepted only while `isModelAccepted(modelHash)`: some publisher,
///      accredited now, holds an unrevoked registration of it (`isModelAcceptedFrom` asks about
///      one publisher). Registrations are per publisher, so one publisher's registration or
///      revocation never blocks another's; a publisher may register again a hash it revoked
///      itself, never one the owner revoked. Roots and model hashes are BN254 scalar-field
///      elements: canonical (< R) and non-zero. A revoked root stays revoked: it cannot be
///      anchored again.
///
///      The owner also records the verifying keys it accepts (`acceptVerifyingKey`): each key's
///      id (SHA-256 of the compressed key, as `Groth16Verifier.keyId`), statement and the
///      transcript hash of the ceremony that made it, so that anyone can check a verifier
///      contract's key against the registry and the ceremony.
///
///      Timestamps are `uint64(block.timestamp)`. Whether a root or model exists or is revoked
///      is kept in explicit flags, never inferred from a timestamp being non-zero.
contract AnchorRegistry {
    /// @dev BN254 scalar field modulus.
    uint256 private constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @dev One anchored root of one issuer; fits in one storage slot.
    struct RootRecord {
        uint64 anchoredAt;
        uint64 revokedAt;
        bool anchored;
        bool revoked;
    }

    /// @dev One anchored revocation root of one issuer; fits in one storage slot.
    struct RevocationRecord {
        uint64 anchoredAt;
        uint64 supersededAt;
        bool anchored;
        bool superseded;
    }

    /// @dev One publisher's registration of one model hash.
    struct ModelRecord {
        uint64 registeredAt;
        uint64 revokedAt;
        bool registered;
        bool revoked;
        bool revokedByOwner;
    }

    /// @dev One verifying key the owner accepted. `since != 0` means recorded.
    struct KeyRecord {
        uint8 statement;
        bool withdrawn;
        uint64 since;
        bytes transcriptHash;
    }

    /// @notice The account allowed to accredit and remove issuers and model publishers, and to
    ///         revoke any root or model.
    address public owner;

    /// @notice Whether an address is currently an accredited issuer.
    mapping(address => bool) public isIssuer;

    /// @notice Whether an address is currently an accredited model publisher.
    mapping(address => bool) public isModelPublisher;

    mapping(address => mapping(uint256 => RootRecord)) private _roots;
    mapping(address => uint256[]) private _history;
    mapping(address => mapping(uint256 => ModelRecord)) private _models;
    mapping(uint256 => address[]) private _modelPublishers;
    mapping(address => mapping(uint256 => RevocationRecord)) private _revocations;
    mapping(bytes32 => KeyRecord) private _keys;

    /// @notice Each issuer's current revocation root (0 before its first).
    mapping(address => uint256) public currentRevocationRoot;

    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    event IssuerAccredited(address indexed issuer);
    event IssuerRemoved(address indexed issuer);
    event ModelPublisherAccredited(address indexed publisher);
    event ModelPublisherRemoved(address indexed publisher);
    /// @notice `issuer` anchored `root` as entry `index` of its history.
    event RootAnchored(address indexed issuer, uint256 indexed root, uint256 index, uint64 timestamp);
    /// @notice `by` (the issuer or the owner) revoked `issuer`'s `root`.
    event RootRevoked(address indexed issuer, uint256 indexed root, uint64 timestamp, address by);
    /// @notice `issuer` anchored `root` as its current revocation root, superseding `previous`
    ///         (0 if none).
    event RevocationRootAnchored(address indexed issuer, uint256 indexed root, uint256 previous, uint64 timestamp);
    event ModelRegistered(address indexed publisher, uint256 indexed modelHash, uint64 timestamp);
    /// @notice `by` (the publisher or the owner) revoked `publisher`'s registration of
    ///         `modelHash`.
    event ModelRevoked(address indexed publisher, uint256 indexed modelHash, address by);
    /// @notice The owner accepted verifying key `keyId` for `statement`, made by the ceremony
    ///         whose transcript hash is `transcriptHash` (empty for a development key).
    event VerifyingKeyAccepted(bytes32 indexed keyId, uint8 statement, bytes transcriptHash);
    /// @notice The owner withdrew verifying key `keyId`.
    event VerifyingKeyWithdrawn(bytes32 indexed keyId);

    /// @notice The caller is not the owner.
    error NotOwner();
    /// @notice `account` is not an accredited issuer.
    error NotIssuer(address account);
    /// @notice `account` is not an accredited model publisher.
    error NotModelPublisher(address account);
    /// @notice `value` is zero or not below R.
    error NotCanonical(uint256 value);
    /// @notice The issuer already anchored `root` (possibly revoked since).
    error AlreadyAnchored(uint256 root);
    /// @notice The issuer never anchored `root`.
    error UnknownRoot(uint256 root);
    /// @notice `value` (a root or a model hash) is already revoked.
    error AlreadyRevoked(uint256 value);
    /// @notice `rootAt` index past the end of the issuer's history.
    error IndexOutOfRange();
    /// @notice The issuer has anchored no root.
    error NoRoots();
    /// @notice The caller already holds an unrevoked registration of `modelHash`.
    error AlreadyRegistered(uint256 modelHash);
    /// @notice The owner revoked the caller's registration of `modelHash`: it stays revoked.
    error RevokedByOwner(uint256 modelHash);
    /// @notice The publisher never registered `modelHash`.
    error UnknownModel(uint256 modelHash);
    /// @notice The caller may not revoke this root or model.
    error NotAuthorized();
    /// @notice The zero address was given where an account is required.
    error ZeroAddress();
    /// @notice `keyId` is already recorded (possibly withdrawn since), or it is zero.
    error KeyAlreadyRecorded(bytes32 keyId);
    /// @notice `keyId` was never recorded, or is already withdrawn.
    error UnknownKey(bytes32 keyId);
    /// @notice The statement code is 0, or the transcript hash is neither empty nor 64 bytes.
    error InvalidKeyRecord();

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    /// @notice The deployer becomes the owner.
    constructor() {
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
    }

    // ------------------------------------------------------------------------------------
    // Administration
    // ------------------------------------------------------------------------------------

    /// @notice Hands ownership to `newOwner` (non-zero).
    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert ZeroAddress();
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    /// @notice Accredits `issuer`. A no-op (no event) if it is already accredited.
    function accreditIssuer(address issuer) external onlyOwner {
        if (issuer == address(0)) revert ZeroAddress();
        if (!isIssuer[issuer]) {
            isIssuer[issuer] = true;
            emit IssuerAccredited(issuer);
        }
    }

    /// @notice Withdraws `issuer`'s accreditation: none of its roots is accepted from now on.
    ///         Its history is kept. A no-op (no event) if it is not accredited.
    function removeIssuer(address issuer) external onlyOwner {
        if (isIssuer[issuer]) {
            isIssuer[issuer] = false;
            emit IssuerRemoved(issuer);
        }
    }

    /// @notice Accredits `publisher` as a model publisher. A no-op (no event) if it already is.
    function accreditModelPublisher(address publisher) external onlyOwner {
        if (publisher == address(0)) revert ZeroAddress();
        if (!isModelPublisher[publisher]) {
            isModelPublisher[publisher] = true;
            emit ModelPublisherAccredited(publisher);
        }
    }

    /// @notice Withdraws `publisher`'s accreditation: none of its models is accepted from now
    ///         on. A no-op (no event) if it is not accredited.
    function removeModelPublisher(address publisher) external onlyOwner {
        if (isModelPublisher[publisher]) {
            isModelPublisher[publisher] = false;
            emit ModelPublisherRemoved(publisher);
        }
    }

    // ------------------------------------------------------------------------------------
    // Roots
    // ------------------------------------------------------------------------------------

    /// @notice Anchors `root` for the calling issuer, appending it to the issuer's history.
    /// @dev Reverts NotIssuer if the caller is not accredited, NotCanonical if `root` is 0 or
    ///      ≥ R, AlreadyAnchored if the caller anchored it before (even if since revoked).
    function anchorRoot(uint256 root) external {
        if (!isIssuer[msg.sender]) revert NotIssuer(msg.sender);
        if (root == 0 || root >= R) revert NotCanonical(root);
        RootRecord storage rec = _roots[msg.sender][root];
        if (rec.anchored) revert AlreadyAnchored(root);

        uint64 now_ = uint64(block.timestamp);
        rec.anchoredAt = now_;
        rec.anchored = true;

        uint256[] storage history = _history[msg.sender];
        uint256 index = history.length;
        history.push(root);

        emit RootAnchored(msg.sender, root, index, now_);
    }

    /// @notice Revokes `issuer`'s `root`. Callable by the issuer itself (accredited or not) or
    ///         by the owner.
    /// @dev Reverts NotAuthorized, UnknownRoot if `issuer` never anchored `root`, or
    ///      AlreadyRevoked.
    function revokeRoot(address issuer, uint256 root) external {
        if (msg.sender != issuer && msg.sender != owner) revert NotAuthorized();
        RootRecord storage rec = _roots[issuer][root];
        if (!rec.anchored) revert UnknownRoot(root);
        if (rec.revoked) revert AlreadyRevoked(root);

        uint64 now_ = uint64(block.timestamp);
        rec.revokedAt = now_;
        rec.revoked = true;

        emit RootRevoked(issuer, root, now_, msg.sender);
    }

    /// @notice True if `issuer` is accredited now, anchored `root`, and `root` is not revoked.
    function isRootAccepted(address issuer, uint256 root) external view returns (bool) {
        RootRecord storage rec = _roots[issuer][root];
        return isIssuer[issuer] && rec.anchored && !rec.revoked;
    }

    /// @notice When `issuer` anchored and revoked `root`; (0, 0) if never anchored, and
    ///         revokedAt = 0 while not revoked.
    function rootInfo(address issuer, uint256 root)
        external
        view
        returns (uint64 anchoredAt, uint64 revokedAt)
    {
        RootRecord storage rec = _roots[issuer][root];
        return (rec.anchoredAt, rec.revokedAt);
    }

    /// @notice Number of roots `issuer` has anchored (revoked ones included).
    function rootCount(address issuer) external view returns (uint256) {
        return _history[issuer].length;
    }

    /// @notice Entry `index` of `issuer`'s history, oldest first. Reverts IndexOutOfRange.
    function rootAt(address issuer, uint256 index)
        external
        view
        returns (uint256 root, uint64 anchoredAt, uint64 revokedAt)
    {
        uint256[] storage history = _history[issuer];
        if (index >= history.length) revert IndexOutOfRange();
        root = history[index];
        RootRecord storage rec = _roots[issuer][root];
        return (root, rec.anchoredAt, rec.revokedAt);
    }

    /// @notice The root `issuer` anchored last. It may have been revoked since: check
    ///         `isRootAccepted`. Reverts NoRoots if the history is empty.
    function latestRoot(address issuer) external view returns (uint256 root, uint64 anchoredAt) {
        uint256[] storage history = _history[issuer];
        uint256 n = history.length;
        if (n == 0) revert NoRoots();
        root = history[n - 1];
        return (root, _roots[issuer][root].anchoredAt);
    }

    // ------------------------------------------------------------------------------------
    // Revocation roots
    // ------------------------------------------------------------------------------------

    /// @notice Anchors `root` as the calling issuer's current revocation root (SPEC.md §13),
    ///         superseding the previous one at this block's time.
    /// @dev Reverts NotIssuer, NotCanonical if `root` is 0 or ≥ R, AlreadyAnchored if the caller
    ///      anchored it before (a revocation list only grows, so its roots never recur).
    function anchorRevocationRoot(uint256 root) external {
        if (!isIssuer[msg.sender]) revert NotIssuer(msg.sender);
        if (root == 0 || root >= R) revert NotCanonical(root);
        RevocationRecord storage rec = _revocations[msg.sender][root];
        if (rec.anchored) revert AlreadyAnchored(root);

        uint64 now_ = uint64(block.timestamp);
        uint256 previous = currentRevocationRoot[msg.sender];
        if (previous != 0) {
            RevocationRecord storage prev = _revocations[msg.sender][previous];
            prev.superseded = true;
            prev.supersededAt = now_;
        }
        rec.anchoredAt = now_;
        rec.anchored = true;
        currentRevocationRoot[msg.sender] = root;

        emit RevocationRootAnchored(msg.sender, root, previous, now_);
    }

    /// @notice True if `issuer` is accredited now and `root` is its current revocation root,
    ///         or one it superseded less than `maxAge` seconds ago (0: the current one only).
    function isRevocationRootFresh(address issuer, uint256 root, uint256 maxAge) external view returns (bool) {
        RevocationRecord storage rec = _revocations[issuer][root];
        if (!isIssuer[issuer] || !rec.anchored) return false;
        if (!rec.superseded) return true;
        return block.timestamp - rec.supersededAt < maxAge;
    }

    /// @notice When `issuer` anchored `root` as a revocation root and when it was superseded;
    ///         (0, 0) if never anchored, and supersededAt = 0 while current.
    function revocationRootInfo(address issuer, uint256 root)
        external
        view
        returns (uint64 anchoredAt, uint64 supersededAt)
    {
        RevocationRecord storage rec = _revocations[issuer][root];
        return (rec.anchoredAt, rec.supersededAt);
    }

    // ------------------------------------------------------------------------------------
    // Models
    // ------------------------------------------------------------------------------------

    /// @notice Registers `modelHash` with the calling publisher.
    /// @dev Reverts NotModelPublisher if the caller is not accredited, NotCanonical if
    ///      `modelHash` is 0 or ≥ R, AlreadyRegistered if the caller's registration of it
    ///      stands, RevokedByOwner if the owner revoked it. Other publishers' registrations do
    ///      not matter.
    function registerModel(uint256 modelHash) external {
        if (!isModelPublisher[msg.sender]) revert NotModelPublisher(msg.sender);
        if (modelHash == 0 || modelHash >= R) revert NotCanonical(modelHash);
        ModelRecord storage rec = _models[msg.sender][modelHash];
        if (rec.registered && !rec.revoked) revert AlreadyRegistered(modelHash);
        if (rec.revokedByOwner) revert RevokedByOwner(modelHash);
        if (!rec.registered) _modelPublishers[modelHash].push(msg.sender);

        uint64 now_ = uint64(block.timestamp);
        rec.registered = true;
        rec.revoked = false;
        rec.revokedAt = 0;
        rec.registeredAt = now_;

        emit ModelRegistered(msg.sender, modelHash, now_);
    }

    /// @notice Revokes the caller's own registration of `modelHash`.
    /// @dev Reverts UnknownModel or AlreadyRevoked.
    function revokeModel(uint256 modelHash) external {
        _revokeModel(msg.sender, modelHash);
    }

    /// @notice Revokes `publisher`'s registration of `modelHash`. Callable by that publisher or
    ///         by the owner; the owner's revocation is final.
    /// @dev Reverts NotAuthorized, UnknownModel or AlreadyRevoked (for the owner: already
    ///      revoked by the owner), checked in that order.
    function revokeModelOf(address publisher, uint256 modelHash) external {
        if (msg.sender != publisher && msg.sender != owner) revert NotAuthorized();
        _revokeModel(publisher, modelHash);
    }

    /// @dev The owner's revocation is final even when the publisher revoked first (it would
    ///      otherwise register the hash again): then it only marks the record.
    function _revokeModel(address publisher, uint256 modelHash) private {
        ModelRecord storage rec = _models[publisher][modelHash];
        if (!rec.registered) revert UnknownModel(modelHash);
        bool byOwner = msg.sender != publisher;
        if (rec.revoked && (!byOwner || rec.revokedByOwner)) revert AlreadyRevoked(modelHash);

        if (!rec.revoked) {
            rec.revoked = true;
            rec.revokedAt = uint64(block.timestamp);
        }
        if (byOwner) rec.revokedByOwner = true;

        emit ModelRevoked(publisher, modelHash, msg.sender);
    }

    /// @notice True if some publisher, accredited now, holds an unrevoked registration of
    ///         `modelHash`.
    function isModelAccepted(uint256 modelHash) external view returns (bool) {
        address[] storage publishers = _modelPublishers[modelHash];
        for (uint256 i = 0; i < publishers.length; ++i) {
            if (_accepted(publishers[i], modelHash)) return true;
        }
        return false;
    }

    /// @notice True if `publisher` is accredited now and holds an unrevoked registration of
    ///         `modelHash`.
    function isModelAcceptedFrom(address publisher, uint256 modelHash) external view returns (bool) {
        return _accepted(publisher, modelHash);
    }

    function _accepted(address publisher, uint256 modelHash) private view returns (bool) {
        ModelRecord storage rec = _models[publisher][modelHash];
        return rec.registered && !rec.revoked && isModelPublisher[publisher];
    }

    /// @notice Every publisher that ever registered `modelHash`, in the order of their first
    ///         registration.
    function modelPublishers(uint256 modelHash) external view returns (address[] memory) {
        return _modelPublishers[modelHash];
    }

    /// @notice When `publisher` registered `modelHash` (last) and revoked it; zero if never,
    ///         and revokedAt = 0 while its registration stands.
    function modelInfo(address publisher, uint256 modelHash)
        external
        view
        returns (uint64 registeredAt, uint64 revokedAt)
    {
        ModelRecord storage rec = _models[publisher][modelHash];
        return (rec.registeredAt, rec.revokedAt);
    }

    // ------------------------------------------------------------------------------------
    // Verifying keys
    // ------------------------------------------------------------------------------------

    /// @notice Records verifying key `keyId` as accepted for `statement` (1 credential query,
    ///         2 score threshold; SPEC.md §8), with the transcript hash of its ceremony (64
    ///         bytes of BLAKE2b-512; empty for a development key).
    /// @dev Reverts KeyAlreadyRecorded if the id is zero or was recorded before (a withdrawn
    ///      key stays withdrawn), InvalidKeyRecord if `statement` is 0 or `transcriptHash` is
    ///      neither empty nor 64 bytes.
    function acceptVerifyingKey(bytes32 keyId, uint8 statement, bytes calldata transcriptHash) external onlyOwner {
        KeyRecord storage rec = _keys[keyId];
        if (keyId == bytes32(0) || rec.since != 0) revert KeyAlreadyRecorded(keyId);
        if (statement == 0 || (transcriptHash.length != 0 && transcriptHash.length != 64)) revert InvalidKeyRecord();
        rec.statement = statement;
        rec.since = uint64(block.timestamp);
        rec.transcriptHash = transcriptHash;
        emit VerifyingKeyAccepted(keyId, statement, transcriptHash);
    }

    /// @notice Withdraws verifying key `keyId`.
    function withdrawVerifyingKey(bytes32 keyId) external onlyOwner {
        KeyRecord storage rec = _keys[keyId];
        if (rec.since == 0 || rec.withdrawn) revert UnknownKey(keyId);
        rec.withdrawn = true;
        emit VerifyingKeyWithdrawn(keyId);
    }

    /// @notice What the registry records of verifying key `keyId`: accepted (recorded and not
    ///         withdrawn), its statement, when it was recorded, and its ceremony's transcript
    ///         hash. All zero if never recorded.
    function verifyingKey(bytes32 keyId)
        external
        view
        returns (bool accepted, uint8 statement, uint64 since, bytes memory transcriptHash)
    {
        KeyRecord storage rec = _keys[keyId];
        return (rec.since != 0 && !rec.withdrawn, rec.statement, rec.since, rec.transcriptHash);
    }
}
