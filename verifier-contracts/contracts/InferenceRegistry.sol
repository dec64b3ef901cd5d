// SPDX-License-Identifier: GPL-3.0
pragma solidity ^0.8.30;

/// @title InferenceRegistry
/// @notice Models whose inferences are proven with zkinfer, and the inferences proven on them.
/// A model is its Groth16 verifier (from `zkinfer export-verifier`), the verifier's code hash, the
/// hash of its verification key or the commitment to its parameters, a metadata URI, and where its
/// proofs' public signals hold the input commitment, the output, the parameters' commitment and the
/// recipient (see docs/FORMATS.md).
///
/// Trust model. Anyone can register anything: an entry is its owner's word, except for what the
/// registry reads itself. A model's identity is its id, or its verifier's code hash
/// (`verifierCodehash`, read with EXTCODEHASH at registration, never supplied by the owner): the
/// code hash of the verifier compiled from a verification key you trust is printed by
/// `zkinfer export-verifier`. `keyHash` and `metadataURI` are the owner's claims, unchecked
/// (a squatter can copy the real model's); so are the layout indices. Never look a model up by
/// its keyHash or metadata URI; check the code hash and the layout of the entry you use.
/// When the parameters are a public signal (`--params hashed`: one verifier serves any weights of
/// an architecture), the registry accepts only proofs that show the registered commitment, so
/// there keyHash is enforced, for the verifier that the code hash names.
/// An inference is recorded once per public signals: Groth16 proofs are malleable (anyone can
/// re-randomise a valid proof into another valid one), so proof bytes never identify an inference.
contract InferenceRegistry {
    /// A layout index meaning "not among the public signals".
    uint8 public constant NONE = type(uint8).max;

    /// The fields a submission reads first share one storage slot (one cold read).
    struct Model {
        address verifier;
        /// The verifier's verifyProof selector for its number of public signals.
        bytes4 selector;
        uint8 publicSignals;
        uint8 inputIndex;
        uint8 outputIndex;
        uint8 paramsIndex;
        /// Where the proof's recipient (an address as a field element) is: what dApps pay or credit.
        uint8 recipientIndex;
        address owner;
        /// EXTCODEHASH of the verifier at registration: read by the registry, not claimed by the owner.
        bytes32 verifierCodehash;
        /// The owner's claim, unchecked: sha256 of the verification key, or (paramsIndex set) the
        /// Poseidon commitment to the parameters, which submissions must then show.
        bytes32 keyHash;
        /// The owner's claim, unchecked.
        string metadataURI;
    }

    /// Where a model's public signals are, as registerModel takes them.
    struct Layout {
        uint8 publicSignals;
        uint8 inputIndex;
        uint8 outputIndex;
        uint8 paramsIndex;
        uint8 recipientIndex;
    }

    mapping(uint256 => Model) private models;
    uint256 public modelCount;
    /// keccak256(modelId, public signals) => who recorded it.
    mapping(bytes32 => address) public recordedBy;

    /// @notice A model was registered. verifierCodehash is what the registry read; keyHash and
    /// metadataURI are the owner's unchecked claims: identify a model by its id or verifierCodehash.
    event ModelRegistered(uint256 indexed modelId, address indexed owner, address verifier, bytes32 verifierCodehash, bytes32 keyHash, string metadataURI);
    /// @notice A proof was verified by the model's verifier, whose code hash is verifierCodehash (read now).
    event InferenceRecorded(uint256 indexed modelId, bytes32 indexed inference, uint256 inputCommitment, uint256 output, address indexed submitter, bytes32 verifierCodehash);

    error UnknownModel(uint256 modelId);
    error BadLayout();
    error WrongSignalCount(uint256 expected, uint256 found);
    error InvalidProof();
    error OtherParameters(bytes32 registered, uint256 found);
    error AlreadyRecorded(bytes32 inference, address by);

    /// @notice Register a model; the caller becomes its owner. The layout's indices say which public
    /// signal is the input commitment, which the output (the label, or a commitment to the outputs),
    /// which the parameters' commitment (then keyHash is that commitment) and which the recipient,
    /// or NONE.
    function registerModel(address verifier, bytes32 keyHash, Layout calldata layout, string calldata metadataURI) external returns (uint256 modelId) {
        uint8 n = layout.publicSignals;
        if (verifier.code.length == 0 || n == 0 || n == NONE) revert BadLayout();
        if (outside(layout.inputIndex, n) || outside(layout.outputIndex, n) || outside(layout.paramsIndex, n) || outside(layout.recipientIndex, n)) revert BadLayout();
        modelId = modelCount++;
        bytes32 codehash = verifier.codehash;
        models[modelId] = Model(verifier, selectorFor(n), n, layout.inputIndex, layout.outputIndex, layout.paramsIndex, layout.recipientIndex, msg.sender, codehash, keyHash, metadataURI);
        emit ModelRegistered(modelId, msg.sender, verifier, codehash, keyHash, metadataURI);
    }

    function model(uint256 modelId) external view returns (Model memory) {
        if (modelId >= modelCount) revert UnknownModel(modelId);
        return models[modelId];
    }

    /// @notice The key an inference is recorded under: the model and its public signals.
    function inferenceKey(uint256 modelId, uint256[] calldata publicSignals) public pure returns (bytes32) {
        return keccak256(abi.encode(modelId, publicSignals));
    }

    /// @notice Whether the proof verifies for the model (its verifier, signal count and registered
    /// parameters), whether or not the inference is recorded. Reverts on an unknown model or a
    /// malformed submission; false only for a proof its verifier rejects.
    function verifyInference(
        uint256 modelId,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata publicSignals
    ) public view returns (bool) {
        Model storage m = models[modelId];
        if (m.verifier == address(0)) revert UnknownModel(modelId);
        if (publicSignals.length != m.publicSignals) revert WrongSignalCount(m.publicSignals, publicSignals.length);
        if (m.paramsIndex != NONE && publicSignals[m.paramsIndex] != uint256(m.keyHash)) revert OtherParameters(m.keyHash, publicSignals[m.paramsIndex]);
        // The verifier takes uint256[N] (static): its words follow the proof's inline.
        (bool ok, bytes memory answer) = m.verifier.staticcall(bytes.concat(m.selector, abi.encode(a, b, c), abi.encodePacked(publicSignals)));
        return ok && answer.length == 32 && abi.decode(answer, (uint256)) == 1;
    }

    /// @notice Verify a proof through the model's verifier and record the inference, once.
    function submitInference(
        uint256 modelId,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata publicSignals
    ) external returns (bytes32 inference) {
        Model storage m = models[modelId];
        inference = inferenceKey(modelId, publicSignals);
        address previous = recordedBy[inference];
        if (previous != address(0)) revert AlreadyRecorded(inference, previous);
        if (!verifyInference(modelId, a, b, c, publicSignals)) revert InvalidProof();
        recordedBy[inference] = msg.sender;
        emit InferenceRecorded(
            modelId,
            inference,
            m.inputIndex == NONE ? 0 : publicSignals[m.inputIndex],
            m.outputIndex == NONE ? 0 : publicSignals[m.outputIndex],
            msg.sender,
            m.verifier.codehash
        );
    }

    function outside(uint8 index, uint8 publicSignals) private pure returns (bool) {
        return index != NONE && index >= publicSignals;
    }

    function selectorFor(uint8 n) private pure returns (bytes4) {
        return bytes4(keccak256(abi.encodePacked("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", decimal(n), "])")));
    }

    function decimal(uint8 n) private pure returns (bytes memory text) {
        if (n >= 100) return abi.encodePacked(bytes1(uint8(48 + n / 100)), bytes1(uint8(48 + (n / 10) % 10)), bytes1(uint8(48 + n % 10)));
        if (n >= 10) return abi.encodePacked(bytes1(uint8(48 + n / 10)), bytes1(uint8(48 + n % 10)));
        return abi.encodePacked(bytes1(uint8(48 + n)));
    }
}
