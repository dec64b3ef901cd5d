// SPDX-License-Identifier: GPL-3.0
pragma solidity ^0.8.30;

import {InferenceRegistry} from "./InferenceRegistry.sol";

/// @title ClassificationBounty
/// @notice An example dApp on the registry: an escrow that pays whoever first proves, on a
/// registered model, the classification of one committed input. The funder publishes only the
/// input's commitment; a claimant who holds the input proves the model's output on it, the
/// registry verifies and records the inference, and the bounty pays out and keeps the label.
/// (A claim travels in the clear, so a watcher could copy it into its own transaction; a real
/// dApp would bind the claimant, for instance with a commit-reveal round. Out of scope here.)
contract ClassificationBounty {
    InferenceRegistry public immutable registry;
    uint256 public immutable modelId;
    uint256 public immutable inputCommitment;
    address public winner;
    uint256 public label;

    event Claimed(address indexed winner, uint256 label, uint256 amount);

    error AlreadyClaimed(address winner);
    error WrongInput(uint256 expected, uint256 found);
    error ModelWithoutLayout();
    error PayoutFailed();

    constructor(InferenceRegistry registry_, uint256 modelId_, uint256 inputCommitment_) payable {
        registry = registry_;
        modelId = modelId_;
        inputCommitment = inputCommitment_;
    }

    function claim(uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c, uint256[] calldata publicSignals) external {
        if (winner != address(0)) revert AlreadyClaimed(winner);
        InferenceRegistry.Model memory m = registry.model(modelId);
        if (m.inputIndex == registry.NONE() || m.outputIndex == registry.NONE()) revert ModelWithoutLayout();
        if (publicSignals.length != m.publicSignals) revert InferenceRegistry.WrongSignalCount(m.publicSignals, publicSignals.length);
        if (publicSignals[m.inputIndex] != inputCommitment) revert WrongInput(inputCommitment, publicSignals[m.inputIndex]);
        registry.submitInference(modelId, a, b, c, publicSignals); // reverts unless the proof verifies and is new
        winner = msg.sender;
        label = publicSignals[m.outputIndex];
        uint256 amount = address(this).balance;
        emit Claimed(msg.sender, label, amount);
        (bool sent, ) = msg.sender.call{value: amount}("");
        if (!sent) revert PayoutFailed();
    }
}
