// Hardhat's built-in node for healthzk's JSON-RPC chain tests (anchor/tests/rpc.rs).
// Cancun rules, like the embedded chain and the solc evmVersion of anchor/contracts.
module.exports = {
  networks: {
    hardhat: { chainId: 31337, hardfork: "cancun" },
  },
};
