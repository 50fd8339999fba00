package plugin

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"sync"
	"time"
)

// benito's side of the mutual TLS with its providers. go-plugin's AutoMTLS
// makes a new P-521 key and certificate for every provider started (about
// 5 ms of CPU each, and P-521 signatures are slow to check in the TLS
// handshake); benito makes one P-256 certificate per process instead and
// hands it to each provider exactly as AutoMTLS does (PLUGIN_CLIENT_CERT),
// so that a provider, whatever go-plugin it was built with, answers with
// its own certificate and trusts only benito's.

var clientCert struct {
	once sync.Once
	cert tls.Certificate
	pem  []byte
	err  error
}

// clientTLS returns the TLS configuration for one provider's connection
// and the PEM certificate to send it.
func clientTLS() (*tls.Config, []byte, error) {
	c := &clientCert
	c.once.Do(func() { c.cert, c.pem, c.err = generateCert() })
	if c.err != nil {
		return nil, nil, c.err
	}
	// go-plugin adds the provider's certificate as the one trusted root
	// to this configuration: one per provider.
	return &tls.Config{
		Certificates: []tls.Certificate{c.cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
		ServerName:   "localhost",
	}, c.pem, nil
}

// generateCert makes a self-signed certificate for localhost, for both
// client and server authentication, as go-plugin's AutoMTLS does but with
// a P-256 key.
func generateCert() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	const host = "localhost"
	template := &x509.Certificate{
		Subject:               pkix.Name{CommonName: host, Organization: []string{"benito"}},
		DNSNames:              []string{host},
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageKeyAgreement | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		SerialNumber:          sn,
		NotBefore:             time.Now().Add(-30 * time.Second),
		NotAfter:              time.Now().Add(262980 * time.Hour),
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	var out bytes.Buffer
	if err := pem.Encode(&out, &pem.Block{Type: "CERTIFICATE", Bytes: der}); err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, out.Bytes(), nil
}
