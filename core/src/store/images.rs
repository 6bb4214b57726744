//! Product images: files in the data folder's `images/`, each named by the SHA-256
//! digest of its bytes. Whatever a manager adds is decoded within limits and
//! re-encoded to one JPEG of bounded size, so what is stored (and later shown,
//! printed and synced) is never the file that came in. A picture fetched from
//! central (named by a product another device or head office wrote) is kept only
//! once it is such a stored picture ([`check_stored_image`]).

use super::StoreError;
use crate::domain::image::ImageDigest;
use crate::domain::FieldError;
use image::{codecs::jpeg::JpegEncoder, ImageFormat, ImageReader, Limits, RgbImage};
use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

/// The largest file accepted, in bytes (8 MiB: a phone photo).
pub const MAX_IMAGE_BYTES: usize = 8 * 1024 * 1024;
/// The widest or tallest picture decoded, in pixels (beyond it: refused, so a
/// small file cannot ask for gigabytes when decoded).
pub const MAX_IMAGE_EDGE: u32 = 8_000;
pub use crate::domain::image::{MAX_STORED_IMAGE_BYTES, STORED_IMAGE_EDGE};
const MAX_DECODE_ALLOC: u64 = 300 * 1024 * 1024;
const JPEG_QUALITY: u8 = 85;

fn not_an_image() -> FieldError {
    FieldError::new(
        "image",
        "not_an_image",
        "is not a PNG, JPEG or WebP picture",
    )
}

/// Decodes `bytes` (PNG, JPEG or WebP, within the limits above), scales it to fit
/// [`STORED_IMAGE_EDGE`], lays any transparency on white and encodes a JPEG.
pub fn reencode_image(bytes: &[u8]) -> Result<Vec<u8>, FieldError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(FieldError::new("image", "too_large", "is larger than 8 MB")
            .with_param("limit_mb", MAX_IMAGE_BYTES / (1024 * 1024)));
    }
    let format = image::guess_format(bytes).map_err(|_| not_an_image())?;
    if !matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP
    ) {
        return Err(not_an_image());
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_EDGE);
    limits.max_image_height = Some(MAX_IMAGE_EDGE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let picture = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => FieldError::new(
            "image",
            "too_many_pixels",
            "is larger than 8000 pixels a side",
        )
        .with_param("limit_px", MAX_IMAGE_EDGE),
        _ => not_an_image(),
    })?;
    if picture.width() == 0 || picture.height() == 0 {
        return Err(not_an_image());
    }
    let picture = if picture.width() > STORED_IMAGE_EDGE || picture.height() > STORED_IMAGE_EDGE {
        picture.resize(
            STORED_IMAGE_EDGE,
            STORED_IMAGE_EDGE,
            image::imageops::FilterType::Triangle,
        )
    } else {
        picture
    };
    let rgba = picture.to_rgba8();
    let rgb = RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        // Over white: c·a + 255·(1 − a), in integers (each term ≤ 255·255).
        let over = |c: u8| {
            let (c, a) = (u16::from(c), u16::from(a));
            let mixed = (c * a + 255 * (255 - a) + 127) / 255;
            u8::try_from(mixed).unwrap_or(u8::MAX)
        };
        image::Rgb([over(r), over(g), over(b)])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(&rgb)
        .map_err(|_| not_an_image())?;
    Ok(out)
}

/// Checks that `bytes` are a stored picture: at most
/// [`MAX_STORED_IMAGE_BYTES`], a JPEG no more than
/// [`STORED_IMAGE_EDGE`] pixels a side that decodes whole. Bytes from elsewhere
/// are kept only after this (their digest is checked by the caller).
pub fn check_stored_image(bytes: &[u8]) -> Result<(), FieldError> {
    let max = MAX_STORED_IMAGE_BYTES;
    if bytes.len() > max {
        return Err(FieldError::new("image", "too_large", "is larger than 1 MB")
            .with_param("limit_mb", max / (1024 * 1024)));
    }
    // A whole JPEG: the decoder would make a picture of a file cut short.
    if image::guess_format(bytes).ok() != Some(ImageFormat::Jpeg)
        || crate::domain::image::jpeg_size(bytes).is_none()
    {
        return Err(FieldError::new(
            "image",
            "not_an_image",
            "is not a whole JPEG",
        ));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), ImageFormat::Jpeg);
    let mut limits = Limits::default();
    limits.max_image_width = Some(STORED_IMAGE_EDGE);
    limits.max_image_height = Some(STORED_IMAGE_EDGE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    match reader.decode() {
        Ok(p) if p.width() > 0 && p.height() > 0 => Ok(()),
        Err(image::ImageError::Limits(_)) => Err(FieldError::new(
            "image",
            "too_many_pixels",
            "is larger than a stored picture",
        )
        .with_param("limit_px", STORED_IMAGE_EDGE)),
        _ => Err(not_an_image()),
    }
}

/// The folder of stored images.
#[derive(Debug, Clone)]
pub struct ImageStore {
    dir: PathBuf,
}

impl ImageStore {
    /// Opens (and makes, if missing) the folder.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        fs::create_dir_all(dir)?;
        Ok(Self {
            dir: dir.to_owned(),
        })
    }

    /// Where the image named `digest` is (or would be).
    pub fn path(&self, digest: &ImageDigest) -> PathBuf {
        self.dir.join(format!("{digest}.jpg"))
    }

    /// Whether the image named `digest` is here.
    pub fn contains(&self, digest: &ImageDigest) -> bool {
        self.path(digest).is_file()
    }

    /// The bytes of the image named `digest`, if it is here and they are the
    /// picture the digest names. A damaged file (its bytes no longer the digest's)
    /// is as good as missing: it is never shown or sent, and fetching the picture
    /// again replaces it.
    pub fn read(&self, digest: &ImageDigest) -> Result<Option<Vec<u8>>, StoreError> {
        match fs::read(self.path(digest)) {
            Ok(b) if ImageDigest::of(&b) == *digest => Ok(Some(b)),
            Ok(_) => {
                tracing::warn!(image = %digest, "a picture file is damaged; it is fetched again");
                Ok(None)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the picture named `digest` is here and whole (reads the file).
    pub fn holds(&self, digest: &ImageDigest) -> Result<bool, StoreError> {
        Ok(self.read(digest)?.is_some())
    }

    /// Keeps `bytes` (already re-encoded) under their digest: written to a
    /// temporary file, flushed to disk, then renamed into place, so a crash leaves
    /// either the whole image or none. Storing the same bytes twice is one file; a
    /// damaged file under the digest is replaced.
    pub fn put(&self, bytes: &[u8]) -> Result<ImageDigest, StoreError> {
        let digest = ImageDigest::of(bytes);
        let path = self.path(&digest);
        if self.holds(&digest)? {
            return Ok(digest);
        }
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&path).map_err(|e| e.error)?;
        if let Ok(d) = fs::File::open(&self.dir) {
            // The rename is durable once the folder is; a failure here leaves the
            // file in place and is not worth refusing the image for.
            let _ = d.sync_all();
        }
        Ok(digest)
    }
}
