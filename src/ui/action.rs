//! What views ask for ([`Action`]) and what the window tells the user ([`Notice`]): the vocabulary
//! the `*_ui` functions share with the one place that acts on it (`apply.rs`).

use std::path::PathBuf;

use url::Url;

use crate::config::Config;

/// What the user asked for in this frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Download,
    OpenLists,
    ChooseFolder,
    SetFolder(PathBuf),
    OpenFolder,
    Pause,
    Resume,
    CancelAll,
    RetryFailed,
    ClearFinished,
    Remove(u64),
    View(u64),
    /// The viewer is zoomed past what it decoded: decode this many pixels a side.
    ViewLarger(u64, u32),
    CloseViewer,
    /// Put the cursor in the gallery's filter box (Ctrl+F).
    FocusFilter,
    OpenExternal(u64),
    ShowInFolder(u64),
    CopyImage(u64),
    CopyText(String),
    /// Show the file at this path in the viewer (a duplicate's original).
    ViewFile(PathBuf),
    /// Fetch this item's URL again, even if the folder's archive has it.
    Redownload(u64),
    /// Open an address (the page an image came from) in the browser.
    OpenUrl(Url),
    /// Ask before deleting these files (one, or the tiles selected).
    AskDelete(Vec<u64>),
    /// Ask before deleting the files of the tiles selected now.
    AskDeleteSelected,
    /// Copy a list about the tiles selected now, one line each.
    CopySelected(Listed),
    ConfirmDelete(Vec<u64>),
    CancelDelete,
    ToggleHelp,
    ToggleSettings,
    /// Forget a large pasted list without downloading it.
    ClearPaste,
    /// Use and save these settings.
    SaveSettings(Box<Config>),
    /// Download these images found on `page` (with the page as their Referer; its title for
    /// `{page_title}`).
    DownloadFromPage {
        page: Url,
        title: Option<String>,
        images: Vec<Url>,
    },
    ClosePageList,
    /// Write the failed URLs to a list in the folder.
    ExportFailed,
    /// Show only the failed downloads in the queue.
    ShowFailed,
    /// Let paused sites start downloads again, and retry what failed.
    ResumeHosts,
}

/// What a list of the selected tiles holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Listed {
    /// Their files' paths.
    Paths,
    /// The addresses they were downloaded from.
    Urls,
}

/// A message for the user, shown above the gallery until replaced or dismissed.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}
