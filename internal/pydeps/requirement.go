package pydeps

// ParseRequirement parses one PEP 508 requirement string ("stripe==7.0.0",
// "requests[socks]>=2; python_version>'3.8'") as it appears on an install
// command line. Name is PEP 503 normalised; Version is set for an exact pin.
func ParseRequirement(s string) (Requirement, error) {
	q, err := parsePEP508(s)
	if err != nil && !isMarkerError(err) {
		return Requirement{}, err
	}
	r := Requirement{RawName: q.Name, Name: Normalize(q.Name), Extras: q.Extras, Specifier: q.Specifier, URL: q.URL, Marker: q.Marker}
	r.Version = pinOf(r.Specifier)
	return r, nil
}
