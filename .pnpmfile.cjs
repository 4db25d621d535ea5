// chopsticks 1.5.1 declares node >=22 but runs on Node 20 (checked by the local-chain tests); the root
// engine-strict setting would refuse it, so drop that one declaration for the chopsticks packages only.
module.exports = {
  hooks: {
    readPackage(pkg) {
      if (pkg.name && pkg.name.startsWith('@acala-network/chopsticks') && pkg.engines) {
        delete pkg.engines.node;
      }
      return pkg;
    },
  },
};
