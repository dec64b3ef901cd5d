// Hardhat configuration for zkinfer's default chain: Hardhat's in-process network (EDR).
// zkinfer compiles contracts with solc-js itself, so nothing here downloads a compiler.
module.exports = {
  solidity: '0.8.30',
  networks: {
    hardhat: {
      // Verifying a proof costs ~0.3M gas; leave room for registries and dApps on top.
      blockGasLimit: 30_000_000,
    },
  },
};
