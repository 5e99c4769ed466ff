/**
 * @file Raw MedMNIST v2 (MedMNIST+) registry data, transcribed from `medmnist/info.py` of the official
 * `medmnist` Python package, version 3.0.2 (GitHub MedMNIST/MedMNIST, commit 3bb56be). These are data values,
 * kept exactly as published: names, descriptions, tasks, labels, channels, split sizes, Zenodo URLs, MD5s and
 * licences. The typed, frozen registry built from it lives in `registry.ts`.
 * @module registry-data
 */

import type { RawDatasetRecord } from './registry-types';

/** `__version__` of the `medmnist` package the values were transcribed from. */
export const MEDMNIST_INFO_VERSION = '3.0.2';

/** Homepage of the official MedMNIST project (`HOMEPAGE` in `medmnist/info.py`). */
export const MEDMNIST_HOMEPAGE = 'https://github.com/MedMNIST/MedMNIST/';

export const RAW_INFO = {
  pathmnist: {
    pythonClass: 'PathMNIST',
    description:
      'The PathMNIST is based on a prior study for predicting survival from colorectal cancer histology slides, providing a dataset (NCT-CRC-HE-100K) of 100,000 non-overlapping image patches from hematoxylin & eosin stained histological images, and a test dataset (CRC-VAL-HE-7K) of 7,180 image patches from a different clinical center. The dataset is comprised of 9 types of tissues, resulting in a multi-class classification task. We resize the source images of 3×224×224 into 3×28×28, and split NCT-CRC-HE-100K into training and validation set with a ratio of 9:1. The CRC-VAL-HE-7K is treated as the test set.',
    task: 'multi-class',
    label: [
      'adipose',
      'background',
      'debris',
      'lymphocytes',
      'mucus',
      'smooth muscle',
      'normal colon mucosa',
      'cancer-associated stroma',
      'colorectal adenocarcinoma epithelium',
    ],
    nChannels: 3,
    nSamples: { train: 89996, val: 10004, test: 7180 },
    url: {
      28: 'https://zenodo.org/records/10519652/files/pathmnist.npz?download=1',
      64: 'https://zenodo.org/records/10519652/files/pathmnist_64.npz?download=1',
      128: 'https://zenodo.org/records/10519652/files/pathmnist_128.npz?download=1',
      224: 'https://zenodo.org/records/10519652/files/pathmnist_224.npz?download=1',
    },
    md5: {
      28: 'a8b06965200029087d5bd730944a56c1',
      64: '55aa9c1e0525abe5a6b9d8343a507616',
      128: 'ac42d08fb904d92c244187169d1fd1d9',
      224: '2c51a510bcdc9cf8ddb2af93af1eadec',
    },
    license: 'CC BY 4.0',
  },
  chestmnist: {
    pythonClass: 'ChestMNIST',
    description:
      'The ChestMNIST is based on the NIH-ChestXray14 dataset, a dataset comprising 112,120 frontal-view X-Ray images of 30,805 unique patients with the text-mined 14 disease labels, which could be formulized as a multi-label binary-class classification task. We use the official data split, and resize the source images of 1×1024×1024 into 1×28×28.',
    task: 'multi-label, binary-class',
    label: [
      'atelectasis',
      'cardiomegaly',
      'effusion',
      'infiltration',
      'mass',
      'nodule',
      'pneumonia',
      'pneumothorax',
      'consolidation',
      'edema',
      'emphysema',
      'fibrosis',
      'pleural',
      'hernia',
    ],
    nChannels: 1,
    nSamples: { train: 78468, val: 11219, test: 22433 },
    url: {
      28: 'https://zenodo.org/records/10519652/files/chestmnist.npz?download=1',
      64: 'https://zenodo.org/records/10519652/files/chestmnist_64.npz?download=1',
      128: 'https://zenodo.org/records/10519652/files/chestmnist_128.npz?download=1',
      224: 'https://zenodo.org/records/10519652/files/chestmnist_224.npz?download=1',
    },
    md5: {
      28: '02c8a6516a18b556561a56cbdd36c4a8',
      64: '9de6cd0b934ebb5b7426cfba5efbae16',
      128: 'db107e5590b27930b62dbaf558aebee3',
      224: '45bd33e6f06c3e8cdb481c74a89152aa',
    },
    license: 'CC BY 4.0',
  },
  dermamnist: {
    pythonClass: 'DermaMNIST',
    description:
      'The DermaMNIST is based on the HAM10000, a large collection of multi-source dermatoscopic images of common pigmented skin lesions. The dataset consists of 10,015 dermatoscopic images categorized as 7 different diseases, formulized as a multi-class classification task. We split the images into training, validation and test set with a ratio of 7:1:2. The source images of 3×600×450 are resized into 3×28×28.',
    task: 'multi-class',
    label: [
      'actinic keratoses and intraepithelial carcinoma',
      'basal cell carcinoma',
      'benign keratosis-like lesions',
      'dermatofibroma',
      'melanoma',
      'melanocytic nevi',
      'vascular lesions',
    ],
    nChannels: 3,
    nSamples: { train: 7007, val: 1003, test: 2005 },
    url: {
      28: 'https://zenodo.org/records/10519652/files/dermamnist.npz?download=1',
      64: 'https://zenodo.org/records/10519652/files/dermamnist_64.npz?download=1',
      128: 'https://zenodo.org/records/10519652/files/dermamnist_128.npz?download=1',
      224: 'https://zenodo.org/records/10519652/files/dermamnist_224.npz?download=1',
    },
    md5: {
      28: '0744692d530f8e62ec473284d019b0c7',
      64: 'b70a2f5635c6199aeaa28c31d7202e1f',
      128: '2defd784463fa5243564e855ed717de1',
      224: '8974907d8e169bef5f5b96bc506ae45d',
    },
    license: 'CC BY-NC 4.0',
  },
  octmnist: {
    pythonClass: 'OCTMNIST',
    description:
      'The OCTMNIST is based on a prior dataset of 109,309 valid optical coherence tomography (OCT) images for retinal diseases. The dataset is comprised of 4 diagnosis categories, leading to a multi-class classification task. We split the source training set with a ratio of 9:1 into training and validation set, and use its source validation set as the test set. The source images are gray-scale, and their sizes are (384−1,536)×(277−512). We center-crop the images and resize them into 1×28×28.',
    task: 'multi-class',
    label: ['choroidal neovascularization', 'diabetic macular edema', 'drusen', 'normal'],
    nChannels: 1,
    nSamples: { train: 97477, val: 10832, test: 1000 },
    url: {
      28: 'https://zenodo.org/records/10519652/files/octmnist.npz?download=1',
      64: 'https://zenodo.org/records/10519652/files/octmnist_64.npz?download=1',
      128: 'https://zenodo.org/records/10519652/files/octmnist_128.npz?download=1',
      224: 'https://zenodo.org/records/10519652/files/octmnist_224.npz?download=1',
    },
    md5: {
      28: 'c68d92d5b585d8d81f7112f81e2d0842',
      64: 'e229e9440236b774d9f0dfef9d07bdaf',
      128: '0a97e76651ace45c5d943ee3f65b63ae',
      224: 'abc493b6d529d5de7569faaef2773ba3',
    },
    license: 'CC BY 4.0',
  },
  pneumoniamnist: {
    pythonClass: 'PneumoniaMNIST',
    description:
      'The PneumoniaMNIST is based on a prior dataset of 5,856 pediatric chest X-Ray images. The task is binary-class classification of pneumonia against normal. We split the source training set with a ratio of 9:1 into training and validation set and use its source validation set as the test set. The source images are gray-scale, and their sizes are (384−2,916)×(127−2,713). We center-crop the images and resize them into 1×28×28.',
    task: 'binary-class',
    label: ['normal', 'pneumonia'],
    nChannels: 1,
    nSamples: { train: 4708, val: 524, test: 624 },
    url: {
      28: 'https://zenodo.org/records/10519652/files/pneumoniamnist.npz?download=1',
      64: 'https://zenodo.org/records/10519652/files/pneumoniamnist_64.npz?download=1',
      128: 'https://zenodo.org/records/10519652/files/pneumoniamnist_128.npz?download=1',
      224: 'https://zenodo.org/records/10519652/files/pneumoniamnist_224.npz?download=1',
    },
    md5: {
      28: '28209eda62fecd6e6a2d98b1501bb15f',
      64: '8f4eceb4ccffa70c672198ea285246c6',
      128: '05b46931834c231683c68f40c47b2971',
      224: 'd6a3c71de1b945ea11211b03746c1fe1',
    },
    license: 'CC BY 4.0',
  },
  retinamnist: {
    pythonClass: 'RetinaMNIST',
    description:
      'The RetinaMNIST is based on the DeepDRiD challenge, which provides a dataset of 1,600 retina fundus images. The task is ordinal regression for 5-level grading of diabetic retinopathy severity. We split the source training set with a ratio of 9:1 into training and validation set, and use the source validation set as the test set. The source images of 3×1,736×1,824 are center-cropped and resized into 3×28×28.',
    task: 'ordinal-regression',
    label: ['0', '1', '2', '3', '4'],
    nChannels: 3,
    nSamples: { train: 1080, val: 120, test: 400 },
    url: {
      28: 'https://zenodo.org/records/10519652/files/retinamnist.npz?download=1',
      64: 'https://zenodo.org/records/10519652/files/retinamnist_64.npz?download=1',
      128: 'https://zenodo.org/records/10519652/files/retinamnist_128.npz?download=1',
      224: 'https://zenodo.org/records/10519652/files/retinamnist_224.npz?download=1',
    },
    md5: {
      28: 'bd4c0672f1bba3e3a89f0e4e876791e4',
      64: 'afda852cc34dcda56f86ad2b2457dbcc',
      128: 'e48e916a24454daf90583d4e6efb1a18',
      224: 'eae7e3b6f3fcbda4ae613ebdcbe35348',
    },
    license: 'CC BY 4.0',
  },
  breastmnist: {
    pythonClass: 'BreastMNIST',
    description:
      'The BreastMNIST is based on a dataset of 780 breast ultrasound images. It is categorized into 3 classes: normal, benign, and malignant. As we use low-resolution images, we simplify the task into binary classification by combining normal and benign as positive and classifying them against malignant as negative. We split the source dataset with a ratio of 7:1:2 into training, validation and test set. The source images of 1×500×500 are resized into 1×28×28.',
    task: 'binary-class',
    label: ['malignant', 'normal, benign'],
    nChannels: 1,
    nSamples: { train: 546, val: 78, test: 156 },
    url: {
      28: 'https://zenodo.org/records/10519652/files/breastmnist.npz?download=1',
      64: 'https://zenodo.org/records/10519652/files/breastmnist_64.npz?download=1',
      128: 'https://zenodo.org/records/10519652/files/breastmnist_128.npz?download=1',
      224: 'https://zenodo.org/records/10519652/files/breastmnist_224.npz?download=1',
    },
    md5: {
      28: '750601b1f35ba3300ea97c75c52ff8f6',
      64: '742edef2a1fd1524b2efff4bd7ba9364',
      128: '363e4b3f8d712e9b5de15470a2aaadf1',
      224: 'b56378a6eefa9fed602bb16d192d4c8b',
    },
    license: 'CC BY 4.0',
  },
  bloodmnist: {
    pythonClass: 'BloodMNIST',
    description:
      'The BloodMNIST is based on a dataset of individual normal cells, captured from individuals without infection, hematologic or oncologic disease and free of any pharmacologic treatment at the moment of blood collection. It contains a total of 17,092 images and is organized into 8 classes. We split the source dataset with a ratio of 7:1:2 into training, validation and test set. The source images with resolution 3×360×363 pixels are center-cropped into 3×200×200, and then resized into 3×28×28.',
    task: 'multi-class',
    label: [
      'basophil',
      'eosinophil',
      'erythroblast',
      'immature granulocytes(myelocytes, metamyelocytes and promyelocytes)',
      'lymphocyte',
      'monocyte',
      'neutrophil',
      'platelet',
    ],
    nChannels: 3,
    nSamples: { train: 11959, val: 1712, test: 3421 },
    url: {
      28: 'https://zenodo.org/records/10519652/files/bloodmnist.npz?download=1',
      64: 'https://zenodo.org/records/10519652/files/bloodmnist_64.npz?download=1',
      128: 'https://zenodo.org/records/10519652/files/bloodmnist_128.npz?download=1',
      224: 'https://zenodo.org/records/10519652/files/bloodmnist_224.npz?download=1',
    },
    md5: {
      28: '7053d0359d879ad8a5505303e11de1dc',
      64: '2b94928a2ae4916078ca51e05b6b800b',
      128: 'adace1e0ed228fccda1f39692059dd4c',
      224: 'b718ff6835fcbdb22ba9eacccd7b2601',
    },
    license: 'CC BY 4.0',
  },
  tissuemnist: {
    pythonClass: 'TissueMNIST',
    description:
      'We use the BBBC051, available from the Broad Bioimage Benchmark Collection. The dataset contains 236,386 human kidney cortex cells, segmented from 3 reference tissue specimens and organized into 8 categories. We split the source dataset with a ratio of 7:1:2 into training, validation and test set. Each gray-scale image is 32×32×7 pixels, where 7 denotes 7 slices. We take maximum values across the slices and resize them into 28×28 gray-scale images.',
    task: 'multi-class',
    label: [
      'Collecting Duct, Connecting Tubule',
      'Distal Convoluted Tubule',
      'Glomerular endothelial cells',
      'Interstitial endothelial cells',
      'Leukocytes',
      'Podocytes',
      'Proximal Tubule Segments',
      'Thick Ascending Limb',
    ],
    nChannels: 1,
    nSamples: { train: 165466, val: 23640, test: 47280 },
    url: {
      28: 'https://zenodo.org/records/10519652/files/tissuemnist.npz?download=1',
      64: 'https://zenodo.org/records/10519652/files/tissuemnist_64.npz?download=1',
      128: 'https://zenodo.org/records/10519652/files/tissuemnist_128.npz?download=1',
      224: 'https://zenodo.org/records/10519652/files/tissuemnist_224.npz?download=1',
    },
    md5: {
      28: 'ebe78ee8b05294063de985d821c1c34b',
      64: '123ece2eba09d0aa5d698fda57103344',
      128: '61b955355d7425a89687b06cca3ce0c2',
      224: 'b077128c4a949f0a4eb01517f9037b9c',
    },
    license: 'CC BY 4.0',
  },
  organamnist: {
    pythonClass: 'OrganAMNIST',
    description:
      'The OrganAMNIST is based on 3D computed tomography (CT) images from Liver Tumor Segmentation Benchmark (LiTS). It is renamed from OrganMNIST_Axial (in MedMNIST v1) for simplicity. We use bounding-box annotations of 11 body organs from another study to obtain the organ labels. Hounsfield-Unit (HU) of the 3D images are transformed into gray-scale with an abdominal window. We crop 2D images from the center slices of the 3D bounding boxes in axial views (planes). The images are resized into 1×28×28 to perform multi-class classification of 11 body organs. 115 and 16 CT scans from the source training set are used as training and validation set, respectively. The 70 CT scans from the source test set are treated as the test set.',
    task: 'multi-class',
    label: [
      'bladder',
      'femur-left',
      'femur-right',
      'heart',
      'kidney-left',
      'kidney-right',
      'liver',
      'lung-left',
      'lung-right',
      'pancreas',
      'spleen',
    ],
    nChannels: 1,
    nSamples: { train: 34561, val: 6491, test: 17778 },
    url: {
      28: 'https://zenodo.org/records/10519652/files/organamnist.npz?download=1',
      64: 'https://zenodo.org/records/10519652/files/organamnist_64.npz?download=1',
      128: 'https://zenodo.org/records/10519652/files/organamnist_128.npz?download=1',
      224: 'https://zenodo.org/records/10519652/files/organamnist_224.npz?download=1',
    },
    md5: {
      28: '68e3f8846a6bd62f0c9bf841c0d9eacc',
      64: '2dcccc29b88e6da5a01161ef20cda288',
      128: 'eeae80d0a227a8d099027e1b3cfd3b60',
      224: '50747347e05c87dd3aaf92c49f9f3170',
    },
    license: 'CC BY 4.0',
  },
  organcmnist: {
    pythonClass: 'OrganCMNIST',
    description:
      'The OrganCMNIST is based on 3D computed tomography (CT) images from Liver Tumor Segmentation Benchmark (LiTS). It is renamed from OrganMNIST_Coronal (in MedMNIST v1) for simplicity. We use bounding-box annotations of 11 body organs from another study to obtain the organ labels. Hounsfield-Unit (HU) of the 3D images are transformed into gray-scale with an abdominal window. We crop 2D images from the center slices of the 3D bounding boxes in coronal views (planes). The images are resized into 1×28×28 to perform multi-class classification of 11 body organs. 115 and 16 CT scans from the source training set are used as training and validation set, respectively. The 70 CT scans from the source test set are treated as the test set.',
    task: 'multi-class',
    label: [
      'bladder',
      'femur-left',
      'femur-right',
      'heart',
      'kidney-left',
      'kidney-right',
      'liver',
      'lung-left',
      'lung-right',
      'pancreas',
      'spleen',
    ],
    nChannels: 1,
    nSamples: { train: 12975, val: 2392, test: 8216 },
    url: {
      28: 'https://zenodo.org/records/10519652/files/organcmnist.npz?download=1',
      64: 'https://zenodo.org/records/10519652/files/organcmnist_64.npz?download=1',
      128: 'https://zenodo.org/records/10519652/files/organcmnist_128.npz?download=1',
      224: 'https://zenodo.org/records/10519652/files/organcmnist_224.npz?download=1',
    },
    md5: {
      28: 'b9ceb9546e10131b32923c5bbeaea2b1',
      64: '3ce34a8724ea6f548e6db4744d03b6a9',
      128: '773c1f009daa3fe5d9a2a201b2a7ed94',
      224: '050f5e875dc056f6768abf94ec9995d1',
    },
    license: 'CC BY 4.0',
  },
  organsmnist: {
    pythonClass: 'OrganSMNIST',
    description:
      'The OrganSMNIST is based on 3D computed tomography (CT) images from Liver Tumor Segmentation Benchmark (LiTS). It is renamed from OrganMNIST_Sagittal (in MedMNIST v1) for simplicity. We use bounding-box annotations of 11 body organs from another study to obtain the organ labels. Hounsfield-Unit (HU) of the 3D images are transformed into gray-scale with an abdominal window. We crop 2D images from the center slices of the 3D bounding boxes in sagittal views (planes). The images are resized into 1×28×28 to perform multi-class classification of 11 body organs. 115 and 16 CT scans from the source training set are used as training and validation set, respectively. The 70 CT scans from the source test set are treated as the test set.',
    task: 'multi-class',
    label: [
      'bladder',
      'femur-left',
      'femur-right',
      'heart',
      'kidney-left',
      'kidney-right',
      'liver',
      'lung-left',
      'lung-right',
      'pancreas',
      'spleen',
    ],
    nChannels: 1,
    nSamples: { train: 13932, val: 2452, test: 8827 },
    url: {
      28: 'https://zenodo.org/records/10519652/files/organsmnist.npz?download=1',
      64: 'https://zenodo.org/records/10519652/files/organsmnist_64.npz?download=1',
      128: 'https://zenodo.org/records/10519652/files/organsmnist_128.npz?download=1',
      224: 'https://zenodo.org/records/10519652/files/organsmnist_224.npz?download=1',
    },
    md5: {
      28: '9ab87b696fb54e2a387ebe992d6ed5f1',
      64: '53a6d115339d874c25e309a994ff46d3',
      128: 'ded0c5fa01a95dc4978b956f613e9b8e',
      224: 'b354719e553fbbb2513d5533f52a4cb1',
    },
    license: 'CC BY 4.0',
  },
  organmnist3d: {
    pythonClass: 'OrganMNIST3D',
    description:
      'The source of the OrganMNIST3D is the same as that of the Organ{A,C,S}MNIST. Instead of 2D images, we directly use the 3D bounding boxes and process the images into 28×28×28 to perform multi-class classification of 11 body organs. The same 115 and 16 CT scans as the Organ{A,C,S}MNIST from the source training set are used as training and validation set, respectively, and the same 70 CT scans as the Organ{A,C,S}MNIST from the source test set are treated as the test set.',
    task: 'multi-class',
    label: [
      'liver',
      'kidney-right',
      'kidney-left',
      'femur-right',
      'femur-left',
      'bladder',
      'heart',
      'lung-right',
      'lung-left',
      'spleen',
      'pancreas',
    ],
    nChannels: 1,
    nSamples: { train: 971, val: 161, test: 610 },
    url: {
      28: 'https://zenodo.org/records/10519652/files/organmnist3d.npz?download=1',
      64: 'https://zenodo.org/records/10519652/files/organmnist3d_64.npz?download=1',
    },
    md5: {
      28: 'a0c5a1ff56af4f155c46d46fbb45a2fe',
      64: '58a2205adf14a9d0a189cb06dc78bf10',
    },
    license: 'CC BY 4.0',
  },
  nodulemnist3d: {
    pythonClass: 'NoduleMNIST3D',
    description:
      'The NoduleMNIST3D is based on the LIDC-IDRI, a large public lung nodule dataset, containing images from thoracic CT scans. The dataset is designed for both lung nodule segmentation and 5-level malignancy classification task. To perform binary classification, we categorize cases with malignancy level 1/2 into negative class and 4/5 into positive class, ignoring the cases with malignancy level 3. We split the source dataset with a ratio of 7:1:2 into training, validation and test set, and center-crop the spatially normalized images (with a spacing of 1mm×1mm×1mm) into 28×28×28.',
    task: 'binary-class',
    label: ['benign', 'malignant'],
    nChannels: 1,
    nSamples: { train: 1158, val: 165, test: 310 },
    url: {
      28: 'https://zenodo.org/records/10519652/files/nodulemnist3d.npz?download=1',
      64: 'https://zenodo.org/records/10519652/files/nodulemnist3d_64.npz?download=1',
    },
    md5: {
      28: '8755a7e9e05a4d9ce80a24c3e7a256f3',
      64: 'c47c5b7d457bf6332200d2ea6d64ecd8',
    },
    license: 'CC BY 4.0',
  },
  adrenalmnist3d: {
    pythonClass: 'AdrenalMNIST3D',
    description:
      'The AdrenalMNIST3D is a new 3D shape classification dataset, consisting of shape masks from 1,584 left and right adrenal glands (i.e., 792 patients). Collected from Zhongshan Hospital Affiliated to Fudan University, each 3D shape of adrenal gland is annotated by an expert endocrinologist using abdominal computed tomography (CT), together with a binary classification label of normal adrenal gland or adrenal mass. Considering patient privacy, we do not provide the source CT scans, but the real 3D shapes of adrenal glands and their classification labels. We calculate the center of adrenal and resize the center-cropped 64mm×64mm×64mm volume into 28×28×28. The dataset is randomly split into training/validation/test set of 1,188/98/298 on a patient level.',
    task: 'binary-class',
    label: ['normal', 'hyperplasia'],
    nChannels: 1,
    nSamples: { train: 1188, val: 98, test: 298 },
    url: {
      28: 'https://zenodo.org/records/10519652/files/adrenalmnist3d.npz?download=1',
      64: 'https://zenodo.org/records/10519652/files/adrenalmnist3d_64.npz?download=1',
    },
    md5: {
      28: 'bbd3c5a5576322bc4cdfea780653b1ce',
      64: '17721accfe9fb005146a47d33bc54b2f',
    },
    license: 'CC BY 4.0',
  },
  fracturemnist3d: {
    pythonClass: 'FractureMNIST3D',
    description:
      'The FractureMNIST3D is based on the RibFrac Dataset, containing around 5,000 rib fractures from 660 computed tomography 153 (CT) scans. The dataset organizes detected rib fractures into 4 clinical categories (i.e., buckle, nondisplaced, displaced, and segmental rib fractures). As we use low-resolution images, we disregard segmental rib fractures and classify 3 types of rib fractures (i.e., buckle, nondisplaced, and displaced). For each annotated fracture area, we calculate its center and resize the center-cropped 64mm×64mm×64mm image into 28×28×28. The official split of training, validation and test set is used.',
    task: 'multi-class',
    label: ['buckle rib fracture', 'nondisplaced rib fracture', 'displaced rib fracture'],
    nChannels: 1,
    nSamples: { train: 1027, val: 103, test: 240 },
    url: {
      28: 'https://zenodo.org/records/10519652/files/fracturemnist3d.npz?download=1',
      64: 'https://zenodo.org/records/10519652/files/fracturemnist3d_64.npz?download=1',
    },
    md5: {
      28: '6aa7b0143a6b42da40027a9dda61302f',
      64: 'f01d7e6316aedf4210da0da5b7437b42',
    },
    license: 'CC BY 4.0',
  },
  vesselmnist3d: {
    pythonClass: 'VesselMNIST3D',
    description:
      'The VesselMNIST3D is based on an open-access 3D intracranial aneurysm dataset, IntrA, containing 103 3D models (meshes) of entire brain vessels collected by reconstructing MRA images. 1,694 healthy vessel segments and 215 aneurysm segments are generated automatically from the complete models. We fix the non-watertight mesh with PyMeshFix and voxelize the watertight mesh with trimesh into 28×28×28 voxels. We split the source dataset with a ratio of 7:1:2 into training, validation and test set.',
    task: 'binary-class',
    label: ['vessel', 'aneurysm'],
    nChannels: 1,
    nSamples: { train: 1335, val: 191, test: 382 },
    url: {
      28: 'https://zenodo.org/records/10519652/files/vesselmnist3d.npz?download=1',
      64: 'https://zenodo.org/records/10519652/files/vesselmnist3d_64.npz?download=1',
    },
    md5: {
      28: 'b41fd4f7e7e2feedddb201585ecafa1b',
      64: '6bb274a8846e1097066dcd64e2c4520f',
    },
    license: 'CC BY 4.0',
  },
  synapsemnist3d: {
    pythonClass: 'SynapseMNIST3D',
    description:
      'The SynapseMNIST3D is a new 3D volume dataset to classify whether a synapse is excitatory or inhibitory. It uses a 3D image volume of an adult rat acquired by a multi-beam scanning electron microscope. The original data is of the size 100×100×100um^3 and the resolution 8×8×30nm^3, where a (30um)^3 sub-volume was used in the MitoEM dataset with dense 3D mitochondria instance segmentation labels. Three neuroscience experts segment a pyramidal neuron within the whole volume and proofread all the synapses on this neuron with excitatory/inhibitory labels. For each labeled synaptic location, we crop a 3D volume of 1024×1024×1024nm^3 and resize it into 28×28×28 voxels. Finally, the dataset is randomly split with a ratio of 7:1:2 into training, validation and test set.',
    task: 'binary-class',
    label: ['inhibitory synapse', 'excitatory synapse'],
    nChannels: 1,
    nSamples: { train: 1230, val: 177, test: 352 },
    url: {
      28: 'https://zenodo.org/records/10519652/files/synapsemnist3d.npz?download=1',
      64: 'https://zenodo.org/records/10519652/files/synapsemnist3d_64.npz?download=1',
    },
    md5: {
      28: '1235b78a3cd6280881dd7850a78eadb6',
      64: '43bd14ebf3af9d3dd072446fedc14d5e',
    },
    license: 'CC BY 4.0',
  },
} as const satisfies Record<string, RawDatasetRecord>;
