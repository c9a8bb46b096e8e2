// Minimal declarations for the @xmpp/* building blocks that ship without types (they are the
// dependencies @xmpp/client itself composes). sdk.ts narrows them to the shapes it uses.
declare module '@xmpp/tcp' {
  const tcp: (deps: { entity: unknown }) => void;
  export default tcp;
}
declare module '@xmpp/sasl-scram-sha-1' {
  const scram: (factory: unknown) => void;
  export default scram;
}
declare module '@xmpp/sasl-plain' {
  const plain: (factory: unknown) => void;
  export default plain;
}
declare module 'saslmechanisms' {
  const SASLFactory: new () => object;
  export default SASLFactory;
}
declare module '@xmpp/tls/lib/Socket.js' {
  const TlsSocket: new () => object;
  export default TlsSocket;
}
