//! The media type of a downloaded artifact, from its name, as MLflow's server sends it:
//! `text/plain` for the names MLflow shows as text (`.txt`, `.log`, `.json`, `.yaml`, `.csv`,
//! `.py`, `MLmodel`, …), else the type Python's `mimetypes` gives the extension (its built-in
//! table, after its suffix and encoding rules: `.tgz` is `.tar.gz`, a `.gz` alone has none),
//! else `application/octet-stream`. One exception, on purpose: what a browser would run as a
//! page (HTML, XHTML, SVG) is sent as `application/octet-stream`, never as its own type,
//! whatever the `Content-Disposition` says.

/// What MLflow shows as text: extensions, and whole names without one.
const TEXT: &[&str] = &[
    "txt",
    "log",
    "err",
    "cfg",
    "conf",
    "cnf",
    "cf",
    "ini",
    "properties",
    "prop",
    "hocon",
    "toml",
    "yaml",
    "yml",
    "xml",
    "json",
    "js",
    "py",
    "py3",
    "csv",
    "tsv",
    "md",
    "rst",
    "ipynb",
    "MLmodel",
    "mlproject",
];

/// Suffixes Python reads as others.
const SUFFIXES: &[(&str, &str)] = &[
    ("svgz", "svg.gz"),
    ("tgz", "tar.gz"),
    ("taz", "tar.gz"),
    ("tz", "tar.gz"),
    ("tbz2", "tar.bz2"),
    ("txz", "tar.xz"),
];

/// Encodings Python strips before looking up the type.
const ENCODINGS: &[&str] = &["gz", "Z", "bz2", "xz", "br"];

/// Python's built-in extension table (3.11), sorted by extension.
const TYPES: &[(&str, &str)] = &[
    ("3g2", "audio/3gpp2"),
    ("3gp", "audio/3gpp"),
    ("3gpp", "audio/3gpp"),
    ("3gpp2", "audio/3gpp2"),
    ("a", "application/octet-stream"),
    ("aac", "audio/aac"),
    ("adts", "audio/aac"),
    ("ai", "application/postscript"),
    ("aif", "audio/x-aiff"),
    ("aifc", "audio/x-aiff"),
    ("aiff", "audio/x-aiff"),
    ("ass", "audio/aac"),
    ("au", "audio/basic"),
    ("avi", "video/x-msvideo"),
    ("avif", "image/avif"),
    ("bat", "text/plain"),
    ("bcpio", "application/x-bcpio"),
    ("bin", "application/octet-stream"),
    ("bmp", "image/bmp"),
    ("c", "text/plain"),
    ("cdf", "application/x-netcdf"),
    ("cpio", "application/x-cpio"),
    ("csh", "application/x-csh"),
    ("css", "text/css"),
    ("csv", "text/csv"),
    ("dll", "application/octet-stream"),
    ("doc", "application/msword"),
    ("dot", "application/msword"),
    ("dvi", "application/x-dvi"),
    ("eml", "message/rfc822"),
    ("eps", "application/postscript"),
    ("etx", "text/x-setext"),
    ("exe", "application/octet-stream"),
    ("gif", "image/gif"),
    ("gtar", "application/x-gtar"),
    ("h", "text/plain"),
    ("h5", "application/x-hdf5"),
    ("hdf", "application/x-hdf"),
    ("heic", "image/heic"),
    ("heif", "image/heif"),
    ("htm", "text/html"),
    ("html", "text/html"),
    ("ico", "image/vnd.microsoft.icon"),
    ("ief", "image/ief"),
    ("jpe", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("jpg", "image/jpeg"),
    ("js", "application/javascript"),
    ("json", "application/json"),
    ("ksh", "text/plain"),
    ("latex", "application/x-latex"),
    ("loas", "audio/aac"),
    ("m1v", "video/mpeg"),
    ("m3u", "application/vnd.apple.mpegurl"),
    ("m3u8", "application/vnd.apple.mpegurl"),
    ("man", "application/x-troff-man"),
    ("me", "application/x-troff-me"),
    ("mht", "message/rfc822"),
    ("mhtml", "message/rfc822"),
    ("mif", "application/x-mif"),
    ("mjs", "application/javascript"),
    ("mov", "video/quicktime"),
    ("movie", "video/x-sgi-movie"),
    ("mp2", "audio/mpeg"),
    ("mp3", "audio/mpeg"),
    ("mp4", "video/mp4"),
    ("mpa", "video/mpeg"),
    ("mpe", "video/mpeg"),
    ("mpeg", "video/mpeg"),
    ("mpg", "video/mpeg"),
    ("ms", "application/x-troff-ms"),
    ("n3", "text/n3"),
    ("nc", "application/x-netcdf"),
    ("nq", "application/n-quads"),
    ("nt", "application/n-triples"),
    ("nws", "message/rfc822"),
    ("o", "application/octet-stream"),
    ("obj", "application/octet-stream"),
    ("oda", "application/oda"),
    ("opus", "audio/opus"),
    ("p12", "application/x-pkcs12"),
    ("p7c", "application/pkcs7-mime"),
    ("pbm", "image/x-portable-bitmap"),
    ("pdf", "application/pdf"),
    ("pfx", "application/x-pkcs12"),
    ("pgm", "image/x-portable-graymap"),
    ("pl", "text/plain"),
    ("png", "image/png"),
    ("pnm", "image/x-portable-anymap"),
    ("pot", "application/vnd.ms-powerpoint"),
    ("ppa", "application/vnd.ms-powerpoint"),
    ("ppm", "image/x-portable-pixmap"),
    ("pps", "application/vnd.ms-powerpoint"),
    ("ppt", "application/vnd.ms-powerpoint"),
    ("ps", "application/postscript"),
    ("pwz", "application/vnd.ms-powerpoint"),
    ("py", "text/x-python"),
    ("pyc", "application/x-python-code"),
    ("pyo", "application/x-python-code"),
    ("qt", "video/quicktime"),
    ("ra", "audio/x-pn-realaudio"),
    ("ram", "application/x-pn-realaudio"),
    ("ras", "image/x-cmu-raster"),
    ("rdf", "application/xml"),
    ("rgb", "image/x-rgb"),
    ("roff", "application/x-troff"),
    ("rtx", "text/richtext"),
    ("sgm", "text/x-sgml"),
    ("sgml", "text/x-sgml"),
    ("sh", "application/x-sh"),
    ("shar", "application/x-shar"),
    ("snd", "audio/basic"),
    ("so", "application/octet-stream"),
    ("src", "application/x-wais-source"),
    ("srt", "text/plain"),
    ("sv4cpio", "application/x-sv4cpio"),
    ("sv4crc", "application/x-sv4crc"),
    ("svg", "image/svg+xml"),
    ("swf", "application/x-shockwave-flash"),
    ("t", "application/x-troff"),
    ("tar", "application/x-tar"),
    ("tcl", "application/x-tcl"),
    ("tex", "application/x-tex"),
    ("texi", "application/x-texinfo"),
    ("texinfo", "application/x-texinfo"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("tr", "application/x-troff"),
    ("trig", "application/trig"),
    ("tsv", "text/tab-separated-values"),
    ("txt", "text/plain"),
    ("ustar", "application/x-ustar"),
    ("vcf", "text/x-vcard"),
    ("vtt", "text/vtt"),
    ("wasm", "application/wasm"),
    ("wav", "audio/x-wav"),
    ("webm", "video/webm"),
    ("webmanifest", "application/manifest+json"),
    ("wiz", "application/msword"),
    ("wsdl", "application/xml"),
    ("xbm", "image/x-xbitmap"),
    ("xlb", "application/vnd.ms-excel"),
    ("xls", "application/vnd.ms-excel"),
    ("xml", "text/xml"),
    ("xpdl", "application/xml"),
    ("xpm", "image/x-xpixmap"),
    ("xsl", "application/xml"),
    ("xwd", "image/x-xwindowdump"),
    ("zip", "application/zip"),
];

/// The extension of `name` as Python's `os.path.splitext` finds it (a leading dot is not one).
fn split_ext(name: &str) -> (&str, &str) {
    let trimmed = name.trim_start_matches('.');
    let lead = name.len() - trimmed.len();
    match trimmed.rfind('.') {
        Some(i) => (&name[..lead + i], &name[lead + i + 1..]),
        None => (name, ""),
    }
}

/// The `Content-Type` MLflow sends for a file named `name`.
pub fn content_type(name: &str) -> &'static str {
    let (_, ext) = split_ext(name);
    let ext = if ext.is_empty() { name } else { ext };
    if TEXT.contains(&ext) {
        return "text/plain";
    }
    match guess(name) {
        Some("text/html" | "application/xhtml+xml" | "image/svg+xml") | None => {
            "application/octet-stream"
        }
        Some(t) => t,
    }
}

/// Python's `mimetypes.guess_type(name)[0]` on its built-in tables.
fn guess(name: &str) -> Option<&'static str> {
    let (base, ext) = split_ext(name);
    let (mut base, mut ext) = (base.to_string(), ext.to_string());
    while let Some((_, to)) = SUFFIXES.iter().find(|(from, _)| *from == ext) {
        let joined = format!("{base}.{to}");
        let (b, e) = split_ext(&joined);
        (base, ext) = (b.to_string(), e.to_string());
    }
    if ENCODINGS.contains(&ext.as_str()) {
        let (b, e) = split_ext(&base);
        (base, ext) = (b.to_string(), e.to_string());
    }
    let _ = base;
    let find = |e: &str| {
        TYPES
            .binary_search_by(|(k, _)| (*k).cmp(e))
            .ok()
            .map(|i| TYPES[i].1)
    };
    find(&ext).or_else(|| find(&ext.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::content_type;

    #[test]
    fn types_as_mlflow_sends_them() {
        for (name, want) in [
            ("a.txt", "text/plain"),
            ("b.log", "text/plain"),
            ("MLmodel", "text/plain"),
            ("MLproject", "application/octet-stream"),
            ("e.json", "text/plain"),
            ("c.png", "image/png"),
            ("d.pdf", "application/pdf"),
            ("f.html", "application/octet-stream"),
            ("g.svg", "application/octet-stream"),
            ("h.jpg", "image/jpeg"),
            ("j.parquet", "application/octet-stream"),
            ("l.gz", "application/octet-stream"),
            ("m.tar.gz", "application/x-tar"),
            ("m.tgz", "application/x-tar"),
            ("x.zip", "application/zip"),
            ("w.pkl", "application/octet-stream"),
            ("P.PNG", "image/png"),
            (".png", "application/octet-stream"),
        ] {
            assert_eq!(content_type(name), want, "{name}");
        }
    }
}
