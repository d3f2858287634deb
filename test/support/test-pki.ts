/**
 * A throw-away PKI built at test time with openssl (no key material is committed; the parties'
 * keys are shared between their certificates to keep it fast, the attacker's never with ours): a root, an
 * intermediate, leaves for every certificate failure verify-feed names, a foreign root, and a
 * TLS server certificate for 127.0.0.1. `openssl ca` is used because `x509 -req` cannot set a
 * validity in the past. Also signs test XML the way the real feed is signed (xml-crypto,
 * RSA-SHA256, enveloped + C14N, Reference URI="", X509Data with the chain).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignedXml } from 'xml-crypto';

/** A certificate and its private key, PEM. */
export interface TestCert {
  name: string;
  certPem: string;
  keyPem: string;
}

export interface TestPki {
  root: TestCert;
  intermediate: TestCert;
  /** Both EKUs, valid 2020-01-01 .. 2038-01-01 under `intermediate`. */
  leaf: TestCert;
  /** Valid 2020-01-01 .. 2021-01-01. */
  expiredLeaf: TestCert;
  /** Valid 2035-01-01 .. 2038-01-01. */
  notYetValidLeaf: TestCert;
  /** Code signing only: lacks 1.3.6.1.4.1.311.76.57.1.11. */
  wrongEkuLeaf: TestCert;
  /** An intermediate valid 2020-01-01 .. 2022-01-01, and a valid leaf under it. */
  expiredIntermediate: TestCert;
  leafUnderExpiredIntermediate: TestCert;
  /** An attacker's root and a leaf with both EKUs under it. */
  foreignRoot: TestCert;
  foreignLeaf: TestCert;
  /** An attacker's self-signed certificate with both EKUs (no CA). */
  selfSigned: TestCert;
  /** TLS server certificate for 127.0.0.1 / localhost, under `intermediate`. */
  tlsServer: TestCert;
  /** The same, expired (2020-01-01 .. 2021-01-01). */
  tlsServerExpired: TestCert;
  /** A TLS certificate for 127.0.0.1 under `foreignRoot`: what a TLS-inspecting proxy presents. */
  tlsInspecting: TestCert;
}

/** The check time the tests use: every "valid" certificate above is valid then. */
export const TEST_AT = new Date('2030-01-01T00:00:00Z');

const LEAF_EKU = 'codeSigning,1.3.6.1.4.1.311.76.57.1.11';

function config(dir: string): string {
  return `[ ca ]
default_ca = testca
[ testca ]
dir = ${dir}
database = ${dir}/index.txt
new_certs_dir = ${dir}/newcerts
serial = ${dir}/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
copy_extensions = none
[ policy_any ]
commonName = supplied
organizationName = optional
[ v3_root ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_inter ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_leaf ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = ${LEAF_EKU}
[ v3_leaf_wrong_eku ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
[ v3_tls ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
`;
}

function openssl(args: string[], cwd: string): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}

interface Issue {
  name: string;
  /** Key file to use (shared between certificates of one party: RSA key generation is the slow part). */
  key: string;
  cn: string;
  ext: string;
  start: string;
  end: string;
  issuer: TestCert | null;
}

function issue(dir: string, spec: Issue): TestCert {
  const key = spec.key;
  const csr = join(dir, `${spec.name}.csr`);
  const crt = join(dir, `${spec.name}.crt`);
  openssl(['req', '-new', '-key', key, '-subj', `/O=EEMS Watch Test/CN=${spec.cn}`, '-out', csr], dir);
  const signer = spec.issuer
    ? ['-cert', writeTemp(dir, `${spec.issuer.name}.issuer.crt`, spec.issuer.certPem), '-keyfile', writeTemp(dir, `${spec.issuer.name}.issuer.key`, spec.issuer.keyPem)]
    : ['-selfsign', '-keyfile', key];
  openssl(['ca', '-batch', '-notext', '-config', join(dir, 'ca.cnf'), '-in', csr, '-out', crt, '-extensions', spec.ext, '-startdate', spec.start, '-enddate', spec.end, ...signer], dir);
  return { name: spec.cn, certPem: readFileSync(crt, 'utf8'), keyPem: readFileSync(key, 'utf8') };
}

function makeKey(dir: string, name: string): string {
  const key = join(dir, `${name}.key`);
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key], dir);
  return key;
}

function writeTemp(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

let cached: TestPki | null = null;

/** Build (once per process) the test PKI; the temp folder is removed before this returns. */
export function createTestPki(): TestPki {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'eems-pki-'));
  try {
    mkdirSync(join(dir, 'newcerts'));
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '1000\n');
    writeFileSync(join(dir, 'ca.cnf'), config(dir));
    const keys = Object.fromEntries(['root', 'ca', 'signer', 'attacker-root', 'attacker'].map((k) => [k, makeKey(dir, k)]));
    const keyOf: Record<string, string> = {
      root: keys.root, inter: keys.ca, 'inter-exp': keys.ca, 'foreign-root': keys['attacker-root'], 'foreign-leaf': keys.attacker, self: keys.attacker,
    };
    const past = '20200101000000Z';
    const far = '20380101000000Z';
    const mk = (name: string, cn: string, ext: string, issuer: TestCert | null, start = past, end = far) =>
      issue(dir, { name, key: keyOf[name] ?? keys.signer, cn, ext, issuer, start, end });
    const root = mk('root', 'EEMS Test Root CA', 'v3_root', null, past, '20400101000000Z');
    const intermediate = mk('inter', 'EEMS Test Code Signing PCA', 'v3_inter', root, past, '20390101000000Z');
    const expiredIntermediate = mk('inter-exp', 'EEMS Test Expired PCA', 'v3_inter', root, past, '20220101000000Z');
    const foreignRoot = mk('foreign-root', 'Attacker Root CA', 'v3_root', null, past, '20400101000000Z');
    cached = {
      root,
      intermediate,
      leaf: mk('leaf', 'EEMS Test XML Signing', 'v3_leaf', intermediate),
      expiredLeaf: mk('leaf-exp', 'EEMS Test XML Signing Expired', 'v3_leaf', intermediate, past, '20210101000000Z'),
      notYetValidLeaf: mk('leaf-nyv', 'EEMS Test XML Signing Future', 'v3_leaf', intermediate, '20350101000000Z', far),
      wrongEkuLeaf: mk('leaf-eku', 'EEMS Test Plain Code Signing', 'v3_leaf_wrong_eku', intermediate),
      expiredIntermediate,
      leafUnderExpiredIntermediate: mk('leaf-under-exp', 'EEMS Test XML Signing Old PCA', 'v3_leaf', expiredIntermediate),
      foreignRoot,
      foreignLeaf: mk('foreign-leaf', 'Microsoft Exchange XML Signing', 'v3_leaf', foreignRoot),
      selfSigned: mk('self', 'Microsoft Exchange XML Signing', 'v3_leaf', null),
      tlsServer: mk('tls', 'localhost', 'v3_tls', intermediate),
      tlsServerExpired: mk('tls-exp', 'localhost', 'v3_tls', intermediate, past, '20210101000000Z'),
      tlsInspecting: mk('tls-mitm', 'localhost', 'v3_tls', foreignRoot),
    };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The base64 DER body of a PEM certificate (what X509Certificate elements carry). */
export function pemBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

export interface SignOptions {
  signatureAlgorithm?: string;
  digestAlgorithm?: string;
  /** Reference URI: "" (default, the whole document) or "#id". */
  referenceUri?: string;
}

/** Sign `xml` (enveloped, appended to the root) with `signer`, carrying `chain` in X509Data. */
export function signXml(xml: string, signer: TestCert, chain: TestCert[], options: SignOptions = {}): string {
  const certs = chain.map((c) => `<X509Certificate>${pemBody(c.certPem)}</X509Certificate>`).join('');
  const sig = new SignedXml({
    privateKey: signer.keyPem,
    signatureAlgorithm: options.signatureAlgorithm ?? 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
    getKeyInfoContent: () => `<X509Data>${certs}</X509Data>`,
  });
  const uri = options.referenceUri ?? '';
  sig.addReference({
    xpath: uri === '' ? '/*' : `//*[@id='${uri.slice(1)}']`,
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315'],
    digestAlgorithm: options.digestAlgorithm ?? 'http://www.w3.org/2001/04/xmlenc#sha256',
    isEmptyUri: uri === '',
  });
  sig.computeSignature(xml, { location: { reference: '/*', action: 'append' } });
  return sig.getSignedXml();
}

/** An EOCS document with these Configs (PING1-like DoNothing actions unless given). */
export function eocs(configs: { id: string; desc?: string; value?: string }[]): string {
  const body = configs
    .map(
      (c) =>
        `  <Config id="${c.id}" desc="${c.desc ?? `Test mitigation ${c.id}.`}">\n    <ActionList>\n      <Action type="DoNothing" scope="Server" desc="Test action.">\n        <Value>${c.value ?? 'DoNothing'}</Value>\n      </Action>\n    </ActionList>\n  </Config>\n`,
    )
    .join('');
  return `<?xml version="1.0" encoding="utf-8"?>\n<EOCS version="1.0.4">\n${body}</EOCS>`;
}
