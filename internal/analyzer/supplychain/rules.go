package supplychain

import (
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/rules"
)

// Mitigation ids decided by the supply-chain analyzer: the whole
// malicious-package checklist, and the index-credentials control of the
// key-exposure checklist. All need evidence: with nothing to look at
// (no manifest, no environment, no advisory data) silence proves nothing.
const (
	MitigationNoTyposquats     = "supply.no-typosquats"
	MitigationNoKnownMalicious = "supply.no-known-malicious"
	MitigationSingleIndex      = "supply.single-index"
	MitigationIndexTLS         = "supply.index-tls"
	MitigationHashPinned       = "supply.hash-pinned"
	MitigationRecordIntact     = "supply.record-intact"
	MitigationStripeAuthentic  = "supply.stripe-authentic"
	MitigationIndexCredentials = "keys.index-credentials-external"
)

func init() {
	mitigation.Register(
		&mitigation.Mitigation{ID: MitigationNoTyposquats, Threat: finding.MaliciousPackage, Title: "No dependency name imitates stripe, its dependencies or a popular package", CheckedBy: []string{Name}, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationNoKnownMalicious, Threat: finding.MaliciousPackage, Title: "No dependency is a known-malicious package (OSV MAL- records)", CheckedBy: []string{Name}, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationSingleIndex, Threat: finding.MaliciousPackage, Title: "Packages come from one trusted index (no --extra-index-url dependency confusion)", CheckedBy: []string{Name}, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationIndexTLS, Threat: finding.MaliciousPackage, Title: "Package indexes are reached over verified HTTPS (no http://, no trusted hosts)", CheckedBy: []string{Name}, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationHashPinned, Threat: finding.MaliciousPackage, Title: "Dependencies are installed with hash checking (--require-hashes, hashes in the lock file)", CheckedBy: []string{Name}, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationRecordIntact, Threat: finding.MaliciousPackage, Title: "Installed files match their RECORD hashes", CheckedBy: []string{Name}, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationStripeAuthentic, Threat: finding.MaliciousPackage, Title: "The installed stripe is Stripe's own (only it provides the stripe module; its metadata points to github.com/stripe/stripe-python)", CheckedBy: []string{Name}, NeedsEvidence: true},
		&mitigation.Mitigation{ID: MitigationIndexCredentials, Threat: finding.KeyExposure, Title: "Package index credentials stay out of the repository (keyring, .netrc or CI secrets, not in index URLs)", CheckedBy: []string{Name}, NeedsEvidence: true},
	)
	rules.Register(Rules...)
}

// Rules of the supply-chain analyzer.
var Rules = []*rules.Rule{
	Typosquat, KnownMalicious, ExtraIndex, PlainHTTPIndex, TrustedHost, IndexCredentials,
	MissingHashes, UnlockedInstall, RecordMismatch, RecordMissingFile, UnrecordedFile, RoguePth,
	StripeShadowed, StripeMetadata,
}

var (
	Typosquat = &rules.Rule{
		ID: "supplychain/typosquat", Threat: finding.MaliciousPackage, Severity: finding.High,
		Name:         "Package name imitates stripe, a stripe dependency or a popular package",
		Description:  "A declared, locked or installed package has a name one slip away from a protected one: stripe and what it installs (requests, urllib3, certifi, idna, charset-normalizer, typing-extensions), names listed under [typosquat] protect, and the most-downloaded PyPI projects. Classes: separator and case confusion after PEP 503 normalisation, look-alike characters and digit/letter swaps, adjacent transpositions, repeated or dropped letters, keyboard slips, version digits, and added words (stripe-python, pystripe, stripe-sdk, stripe-api, stripe-client, stripe2). The check is a property of the name and needs no advisory data. High for stripe and its dependencies, medium for popular packages; one level higher when the package is installed.",
		Mitigation:   "Check the name against the project you meant (pypi.org/project/<name>), replace it with the real package, and if it was installed, treat the machine as compromised: rotate the Stripe keys and other secrets it could read. If the package is legitimate, add it to [typosquat] allow in .stripeguard.toml.",
		MitigationID: MitigationNoTyposquats,
		Vulnerable:   "stripe-python==1.0.0  # adds 'python' to stripe",
		Fixed:        "stripe==<version>",
	}
	KnownMalicious = &rules.Rule{
		ID: "supplychain/known-malicious", Threat: finding.MaliciousPackage, Severity: finding.Critical,
		Name:         "Known-malicious package",
		Description:  "A declared, locked or installed package (at that version, or at any version the requirement admits) is listed by an OSV malicious-package report (MAL- id, from ossf/malicious-packages via osv.dev). Withdrawn reports are ignored.",
		Mitigation:   "Remove the package, rebuild every environment and image that installed it from a clean base, and rotate every credential those machines held (Stripe keys first). Read the MAL- report for what the package does.",
		MitigationID: MitigationNoKnownMalicious,
		Vulnerable:   "requestss==2.28.1  # MAL-2024-…",
		Fixed:        "requests==<version>",
	}
	ExtraIndex = &rules.Rule{
		ID: "supplychain/extra-index", Threat: finding.MaliciousPackage, Severity: finding.High,
		Name:         "Extra package index beside the primary one (dependency confusion)",
		Description:  "An installer is told to consult a second index or find-links location and to take a package from whichever offers the best version (pip --extra-index-url / PIP_EXTRA_INDEX_URL / pip.conf, --find-links, uv with index-strategy unsafe-best-match or unsafe-first-match, several Poetry primary sources, Pipenv with install_search_all_sources, PDM sources without respect-source-order), or to fall back to a second index for packages the first lacks (Poetry supplemental). Anyone who publishes a package with the name of a private one, at a higher version, on the other index gets it installed (CVE-2018-20225).",
		Mitigation:   "Use one index: a private index that proxies PyPI, or PyPI plus explicit per-package sources ([[tool.uv.index]] explicit = true with [tool.uv.sources], Poetry priority = \"explicit\", Pipenv index= per package, PDM include_packages), keep uv's default first-index strategy, and pin with hashes.",
		MitigationID: MitigationSingleIndex,
		Vulnerable:   "--extra-index-url https://pkgs.corp.example/simple",
		Fixed:        "--index-url https://pkgs.corp.example/simple  # proxies PyPI",
	}
	PlainHTTPIndex = &rules.Rule{
		ID: "supplychain/plain-http-index", Threat: finding.MaliciousPackage, Severity: finding.High,
		Name:         "Package index over plain HTTP",
		Description:  "Packages are downloaded from an http:// index or find-links location, so anyone on the network path can substitute them. Loopback addresses are low.",
		Mitigation:   "Serve the index over HTTPS with a certificate the installer verifies, and install with --require-hashes.",
		MitigationID: MitigationIndexTLS,
		Vulnerable:   "--index-url http://pypi.corp.example/simple",
		Fixed:        "--index-url https://pypi.corp.example/simple",
	}
	TrustedHost = &rules.Rule{
		ID: "supplychain/trusted-host", Threat: finding.MaliciousPackage, Severity: finding.Medium,
		Name:         "TLS verification turned off for a package index",
		Description:  "pip --trusted-host / PIP_TRUSTED_HOST, uv allow-insecure-host or verify_ssl = false (Pipenv, PDM) accepts any certificate (or none) from the host, so a network attacker can serve packages in its name.",
		Mitigation:   "Remove the trusted host; give the installer the index's CA certificate instead (pip --cert / PIP_CERT, uv SSL_CERT_FILE).",
		MitigationID: MitigationIndexTLS,
		Vulnerable:   "--trusted-host pypi.corp.example",
		Fixed:        "--cert /etc/ssl/certs/corp-ca.pem",
	}
	IndexCredentials = &rules.Rule{
		ID: "supplychain/index-credentials", Threat: finding.KeyExposure, Severity: finding.High,
		Name:         "Credentials written in a package index URL",
		Description:  "A package index URL carries a literal password or token (https://user:token@host/simple) in a file of the repository, so everyone who can read it can read (and often publish to) the private index, and installers print it in logs. In a Dockerfile ENV or ARG it is also baked into the image.",
		Mitigation:   "Revoke the token now, then pass credentials at install time: keyring, ~/.netrc, a CI secret expanded in the URL (https://${PIP_USER}:${PIP_TOKEN}@host) or a BuildKit secret mount.",
		MitigationID: MitigationIndexCredentials,
		Vulnerable:   "PIP_EXTRA_INDEX_URL=https://deploy:…9f3a@pkgs.corp.example/simple",
		Fixed:        "PIP_INDEX_URL=https://deploy:${PIP_TOKEN}@pkgs.corp.example/simple",
	}
	MissingHashes = &rules.Rule{
		ID: "supplychain/missing-hashes", Threat: finding.MaliciousPackage, Severity: finding.Low,
		Name:         "Dependencies installed without hash checking",
		Description:  "A manifest that installs packages (a requirements file, or an application's pyproject.toml or Pipfile with no lock file) has no hashes, so a compromised or confused index can serve any file under a pinned version. Medium when the rest of the project uses hashes or a hash-bearing lock file (the manifest bypasses them), when the file mixes hashed and unhashed requirements (pip refuses it), or when it installs stripe. When nothing in the project checks hashes, one finding lists every such manifest. Libraries (setup.py, setup.cfg, pyproject.toml with a build system and no lock) and pip-tools .in files with their compiled .txt are not reported, nor an application manifest that declares stripe with a range and no lock file (deps/stripe-unpinned asks for the lock file).",
		Mitigation:   "Generate hashes (pip-compile --generate-hashes, uv pip compile --generate-hashes, or commit uv.lock / poetry.lock / Pipfile.lock) and install with pip install --require-hashes -r requirements.txt (uv sync --locked).",
		MitigationID: MitigationHashPinned,
		Vulnerable:   "stripe==7.0.0",
		Fixed:        "stripe==7.0.0 --hash=sha256:…",
	}
	UnlockedInstall = &rules.Rule{
		ID: "supplychain/unlocked-install", Threat: finding.MaliciousPackage, Severity: finding.Low,
		Name:         "Install command names packages outside the manifests",
		Description:  "A Dockerfile, CI workflow or script installs packages by name (pip install flask stripe) instead of from the project's pinned, hashed manifest, so they get whatever version the index serves that day, unchecked. One finding per file. Medium when it installs stripe without a pin, or when a Dockerfile bypasses the hashed manifests the rest of the project uses. Installer and CI tooling (pip, setuptools, wheel, uv, poetry, pipenv, pip-tools, tox, nox, pre-commit, ...) and commands given -r/-c files are not reported.",
		Mitigation:   "Add the packages to the requirements file or lock file and install from it with --require-hashes (uv sync --locked).",
		MitigationID: MitigationHashPinned,
		Vulnerable:   "RUN pip install stripe flask",
		Fixed:        "RUN pip install --require-hashes -r requirements.txt",
	}
	RecordMismatch = &rules.Rule{
		ID: "supplychain/record-mismatch", Threat: finding.MaliciousPackage, Severity: finding.High,
		Name:         "Installed file differs from its RECORD",
		Description:  "A file of an installed distribution no longer has the sha256 (or size) its RECORD lists: it was edited after installation. Critical for the stripe package and for .pth files (executed at every interpreter start). pip never checks RECORD; stripeguard does. Distributions managed by the OS package manager (dist-packages without INSTALLER) are left to debsums.",
		Mitigation:   "Find out who changed the file (compare with the wheel from PyPI), then reinstall the distribution (pip install --force-reinstall --no-deps <name>==<version>) or rebuild the environment from hashed requirements; if the change was not yours, treat the machine as compromised.",
		MitigationID: MitigationRecordIntact,
		Vulnerable:   "site-packages/stripe/_api_requestor.py edited after install",
		Fixed:        "pip install --force-reinstall --no-deps stripe==<version>",
	}
	RecordMissingFile = &rules.Rule{
		ID: "supplychain/record-missing-file", Threat: finding.MaliciousPackage, Severity: finding.Medium,
		Name:         "Installed file listed in RECORD is missing",
		Description:  "RECORD lists a file that is not in the environment: the distribution was partly removed or replaced. High for the stripe package; low for files outside the distribution's own packages (scripts, data).",
		Mitigation:   "Reinstall the distribution from hashed requirements and find out what removed the file.",
		MitigationID: MitigationRecordIntact,
		Vulnerable:   "urllib3/connection.py listed in RECORD, absent",
		Fixed:        "pip install --force-reinstall --no-deps urllib3==<version>",
	}
	UnrecordedFile = &rules.Rule{
		ID: "supplychain/unrecorded-file", Threat: finding.MaliciousPackage, Severity: finding.Medium,
		Name:         "Code file no installed distribution recorded",
		Description:  "A Python module, extension or .pyc sits inside an installed package (or at the top of site-packages, or as a package directory) without being listed in any RECORD: something other than the installer put it there. High inside the stripe package and for sitecustomize/usercustomize (imported at every start).",
		Mitigation:   "Inspect the file; if nothing you installed explains it, remove it, rebuild the environment from hashed requirements and treat the machine as compromised.",
		MitigationID: MitigationRecordIntact,
		Vulnerable:   "site-packages/stripe/_telemetry.py (not in stripe's RECORD)",
		Fixed:        "rebuild the virtualenv from requirements with --require-hashes",
	}
	RoguePth = &rules.Rule{
		ID: "supplychain/rogue-pth", Threat: finding.MaliciousPackage, Severity: finding.Critical,
		Name:         "Executable .pth file not installed by any distribution",
		Description:  "A .pth file at the top of site-packages has an import line, which site.py executes at every interpreter start, and no RECORD lists it: code that runs before the application in every Python process of the environment, a known persistence trick of malicious packages. Known environment files (virtualenv's _virtualenv.pth, setuptools' distutils-precedence.pth and easy-install.pth with their stock content) are not reported.",
		Mitigation:   "Read the file and remove it; rebuild the environment from hashed requirements; if nothing you installed explains it, treat the machine as compromised and rotate the Stripe keys it could read.",
		MitigationID: MitigationRecordIntact,
		Vulnerable:   "site-packages/zz_init.pth: import os; exec(...)",
		Fixed:        "no unrecorded executable .pth files",
	}
	StripeShadowed = &rules.Rule{
		ID: "supplychain/stripe-shadowed", Threat: finding.MaliciousPackage, Severity: finding.Critical,
		Name:         "The stripe module is provided by another distribution",
		Description:  "The top-level stripe package (or stripe.py) in site-packages is installed by a distribution other than stripe, or by none: `import stripe` runs its code, and it sees every API key the application passes to it.",
		Mitigation:   "Uninstall that distribution, reinstall stripe from PyPI with hashes, and rotate the Stripe keys the environment used.",
		MitigationID: MitigationStripeAuthentic,
		Vulnerable:   "stripe-sdk 1.0 installs site-packages/stripe/__init__.py",
		Fixed:        "only stripe provides the stripe module",
	}
	StripeMetadata = &rules.Rule{
		ID: "supplychain/stripe-metadata", Threat: finding.MaliciousPackage, Severity: finding.High,
		Name:         "Installed stripe does not look like Stripe's distribution",
		Description:  "A distribution named stripe has metadata that points away from Stripe: none of its home page and project URLs is github.com/stripe/stripe-python or stripe.com, or its METADATA Name and its .dist-info directory disagree. PyPI's stripe always names Stripe's repository.",
		Mitigation:   "Reinstall stripe from https://pypi.org/simple with hashes and check where the other copy came from.",
		MitigationID: MitigationStripeAuthentic,
		Vulnerable:   "Home-page: https://github.com/stripe-payments-python/stripe",
		Fixed:        "Home-page: https://github.com/stripe/stripe-python",
	}
)
