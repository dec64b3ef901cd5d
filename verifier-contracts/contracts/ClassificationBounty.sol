// SPDX-License-Identifier: GPL-3.0
pragma solidity ^0.8.30;

import {InferenceRegistry} from "./InferenceRegistry.sol";

/// @title ClassificationBounty
/// @notice An example dApp on the registry: an escrow that pays for a proof, on one registered
/// model, of the classification of one committed input. The funder publishes only the input's
/// commitment; a claimant who holds the input proves the model's output on it for a recipient of
/// its choice, and the bounty pays that recipient and keeps the label.
///
/// What it promises:
/// - It pays only the recipient the proof names (the model's `recipient` public signal, which the
///   circuit ties into its constraints): a copy of a pending claim sent by someone else, with any
///   gas price, still pays the prover's recipient. Whoever sends the claim (a relayer) is not paid.
/// - It is claimable once the inference is proven, whether or not someone already recorded these
///   public signals in the registry: a recorded inference still needs a valid proof here.
/// - It pays only through the model it was funded for: the model must be registered when the
///   bounty is made, and the verifier's address and code hash are pinned then.
/// - Unclaimed at the deadline, anyone can return the escrow to the funder (`refund`).
contract ClassificationBounty {
    InferenceRegistry public immutable registry;
    uint256 public immutable modelId;
    uint256 public immutable inputCommitment;
    /// Last second (block timestamp) at which a claim is accepted.
    uint256 public immutable deadline;
    address public immutable funder;
    /// The model's verifier and its code hash when the bounty was funded.
    address public immutable verifier;
    bytes32 public immutable verifierCodehash;
    address public winner;
    uint256 public label;
    bool public refunded;

    event Claimed(address indexed winner, uint256 label, uint256 amount);
    event Refunded(address indexed funder, uint256 amount);

    error AlreadyClaimed(address winner);
    error AlreadyRefunded();
    error DeadlinePassed(uint256 deadline);
    error DeadlineNotPassed(uint256 deadline);
    error WrongInput(uint256 expected, uint256 found);
    error ModelWithoutLayout();
    error ModelChanged();
    error BadRecipient(uint256 signal);
    error PayoutFailed();

    /// @dev Reverts (InferenceRegistry.UnknownModel) for a model id not registered yet.
    constructor(InferenceRegistry registry_, uint256 modelId_, uint256 inputCommitment_, uint256 deadline_) payable {
        InferenceRegistry.Model memory m = registry_.model(modelId_);
        uint8 none = registry_.NONE();
        if (m.inputIndex == none || m.outputIndex == none || m.recipientIndex == none) revert ModelWithoutLayout();
        if (deadline_ <= block.timestamp) revert DeadlinePassed(deadline_);
        registry = registry_;
        modelId = modelId_;
        inputCommitment = inputCommitment_;
        deadline = deadline_;
        funder = msg.sender;
        verifier = m.verifier;
        verifierCodehash = m.verifier.codehash;
    }

    /// @notice Pay the escrow to the recipient the proof names. Anyone may send the claim.
    function claim(uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c, uint256[] calldata publicSignals) external {
        if (winner != address(0)) revert AlreadyClaimed(winner);
        if (refunded) revert AlreadyRefunded();
        if (block.timestamp > deadline) revert DeadlinePassed(deadline);
        InferenceRegistry.Model memory m = registry.model(modelId);
        if (m.verifier != verifier || verifier.codehash != verifierCodehash) revert ModelChanged();
        if (publicSignals.length != m.publicSignals) revert InferenceRegistry.WrongSignalCount(m.publicSignals, publicSignals.length);
        if (publicSignals[m.inputIndex] != inputCommitment) revert WrongInput(inputCommitment, publicSignals[m.inputIndex]);
        uint256 recipientSignal = publicSignals[m.recipientIndex];
        if (recipientSignal == 0 || recipientSignal > type(uint160).max) revert BadRecipient(recipientSignal);
        // Recording is not the point: a proof of public signals someone else recorded first claims too.
        if (registry.recordedBy(registry.inferenceKey(modelId, publicSignals)) == address(0)) {
            registry.submitInference(modelId, a, b, c, publicSignals); // reverts unless the proof verifies
        } else if (!registry.verifyInference(modelId, a, b, c, publicSignals)) {
            revert InferenceRegistry.InvalidProof();
        }
        address recipient = address(uint160(recipientSignal));
        // State before the transfer: a re-entering recipient finds the bounty claimed.
        winner = recipient;
        label = publicSignals[m.outputIndex];
        uint256 amount = address(this).balance;
        emit Claimed(recipient, label, amount);
        (bool sent, ) = recipient.call{value: amount}("");
        if (!sent) revert PayoutFailed();
    }

    /// @notice After the deadline, return an unclaimed escrow to the funder. Anyone may call it.
    function refund() external {
        if (winner != address(0)) revert AlreadyClaimed(winner);
        if (refunded) revert AlreadyRefunded();
        if (block.timestamp <= deadline) revert DeadlineNotPassed(deadline);
        refunded = true;
        uint256 amount = address(this).balance;
        emit Refunded(funder, amount);
        (bool sent, ) = funder.call{value: amount}("");
        if (!sent) revert PayoutFailed();
    }
}
